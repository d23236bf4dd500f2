"""Partnerships, consortia, MoUs, withdrawals and partnership documents."""
