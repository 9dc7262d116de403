-- wrk script for bench/run.py: one request path per request, chosen at random.
--
-- Environment (set by run.py):
--   BENCH_MODE   static | int | file
--   BENCH_PATH   static: the path; int: a format string with one %d (e.g. /api/v2/deals/%d)
--   BENCH_LO, BENCH_HI   int mode: the random integer is drawn uniformly from [LO, HI]
--   BENCH_FILE   file mode: a file with one request path per line (e.g. cursor pages)
-- Headers (x-api-token) come from wrk's -H option and are part of every request.
-- done() prints one line "BENCH_JSON {...}" with counts, errors and latency percentiles
-- (microseconds); run.py parses it. No response() callback: that would slow wrk down.

local mode = os.getenv("BENCH_MODE") or "static"
local tmpl = os.getenv("BENCH_PATH") or "/"
local lo = tonumber(os.getenv("BENCH_LO") or "1")
local hi = tonumber(os.getenv("BENCH_HI") or "1")
local file = os.getenv("BENCH_FILE")

local paths = {}
local static_req = nil
local random = math.random
local format = string.format

function init(args)
   math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
   for _ = 1, 10 do random() end
   if mode == "file" then
      for line in io.lines(file) do
         if #line > 0 then paths[#paths + 1] = line end
      end
      if #paths == 0 then error("BENCH_FILE has no paths: " .. tostring(file)) end
   elseif mode == "static" then
      static_req = wrk.format(nil, tmpl)
   end
end

function request()
   if mode == "int" then
      return wrk.format(nil, format(tmpl, random(lo, hi)))
   elseif mode == "file" then
      return wrk.format(nil, paths[random(1, #paths)])
   end
   return static_req
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"stdev":%.1f,' ..
      '"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.max, latency.stdev,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9)))
end
