"""Benchmarks (not run by the tests): a package so gunicorn can import bench.settings."""
