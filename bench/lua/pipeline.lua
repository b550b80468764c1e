-- wrk script: HTTP/1.1 pipelining. Each connection writes DEPTH requests back to back (one buffer, one
-- write) and only sends the next batch once all DEPTH responses have arrived.
--
--   wrk -s pipeline.lua http://127.0.0.1:PORT/path -- [DEPTH]     (DEPTH defaults to 16)
--
-- wrk parses the string returned by request() when the script is loaded, learns how many requests it holds,
-- and then counts every response of a batch as one request (and one status check); only latency is recorded
-- per batch, from the batch's write to its last response.

-- Reuse report.lua's done() from the same directory; wrk runs scripts with the caller's working directory,
-- so locate it relative to this file rather than to the current directory.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local batch

function init(args)
  local depth = tonumber(args[1]) or 16
  local one = wrk.format(nil)       -- GET of the URL's path, with wrk's headers (Host, any -H)
  local parts = {}
  for i = 1, depth do
    parts[i] = one
  end
  batch = table.concat(parts)
end

function request()
  return batch
end
