-- What every bench script shares: per-thread status counts and, at the end, one JSON line that
-- bench/wrk.py parses. wrk's own text report has no status counts, and its "Non-2xx" line only
-- covers statuses above 399.
--
-- bench/wrk.py runs wrk with this directory as the working directory (so that the scenario scripts
-- can dofile("report.lua")) and passes the thread count as the first script argument.
--
-- Each wrk thread runs its own Lua state: the counts live in the threads' globals and done(),
-- which runs in the main state, collects them through the thread objects kept by setup().

local threads = {}

function setup(thread)
   thread:set("thread_id", #threads)
   table.insert(threads, thread)
end

statuses = {}

function count_status(status)
   statuses[status] = (statuses[status] or 0) + 1
end

function response(status, headers, body)
   count_status(status)
end

local function merged_statuses()
   local merged = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         merged[status] = (merged[status] or 0) + count
      end
   end
   return merged
end

local function statuses_json(counts)
   local fields = {}
   for status, count in pairs(counts) do
      table.insert(fields, string.format('"%d":%d', status, count))
   end
   return "{" .. table.concat(fields, ",") .. "}"
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,'
         .. '"p999_us":%.1f,'
         .. '"socket_errors":%d,"statuses":%s}\n',
      summary.requests,
      summary.duration,
      latency:percentile(50),
      latency:percentile(90),
      latency:percentile(99),
      latency:percentile(99.9),
      errors.connect + errors.read + errors.write + errors.timeout,
      statuses_json(merged_statuses())
   ))
end
