-- wrk script: prints one machine-readable summary line when the run is done, so run.sh never has to parse
-- wrk's human-oriented output (whose units change with magnitude: us/ms/s, k/M).
--
-- Used on its own for the plain workloads (it defines no request function, so wrk keeps sending its one
-- pre-built request) and loaded by pipeline.lua for the pipelined one.

-- wrk's own CPU time so far (utime + stime of the whole process, in clock ticks), from /proc/self/stat: a load
-- generator that is busy nearly all the run limits the request rate, and then the rate no longer ranks servers.
local function own_cpu_ticks()
  local file = io.open("/proc/self/stat")
  if not file then return -1 end
  local stat = file:read("*l")
  file:close()
  -- Fields after "pid (comm) ": the first is field 3 (state), so utime (14) and stime (15) are the 12th and 13th.
  local fields = {}
  -- The greedy ".*%)" ends at the last ")", whatever the command name holds.
  for value in stat:match(".*%) (.*)$"):gmatch("%S+") do fields[#fields + 1] = value end
  return tonumber(fields[12]) + tonumber(fields[13])
end

-- wrk calls done() once, in its main Lua state, after all threads have finished.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d bytes=%d duration_us=%d p50_us=%d p99_us=%d " ..
    "connect=%d read=%d write=%d timeout=%d status=%d client_cpu_ticks=%d\n",
    summary.requests, summary.bytes, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, e.status, own_cpu_ticks()))
end
