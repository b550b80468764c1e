-- wrk script: prints one machine-readable summary line when the run is done, so run.sh never has to parse
-- wrk's human-oriented output (whose units change with magnitude: us/ms/s, k/M).
--
-- Used on its own for the plain workloads (it defines no request function, so wrk keeps sending its one
-- pre-built request) and loaded by pipeline.lua for the pipelined one.

-- wrk calls done() once, in its main Lua state, after all threads have finished.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d bytes=%d duration_us=%d p50_us=%d p99_us=%d " ..
    "connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.requests, summary.bytes, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, e.status))
end
