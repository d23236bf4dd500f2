-- Used by bench/throughput.py: after a wrk run, one line it parses. wrk prints the 50/75/90/99
-- percentiles itself but not the 95th. Times are in microseconds.
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "throughput: requests=%d duration_us=%d p50_us=%d p95_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
