-- common.lua: what every scenario script of scripts/bench shares (loaded with dofile).
--
-- Per-connection data: scripts/bench writes a tab-separated file (first line: column names)
-- and names it in $BENCH_DATA. wrk's setup() numbers the threads; each thread takes row
-- ((index - 1) % rows) + 1, so with one connection per thread (-t N -c N) every connection
-- has its own row: its own session, token or refresh-token chain.
--
-- Accounting: each script calls common.count(status, ok) for every response, saying whether
-- it was the answer the scenario expects. Nothing is hidden: every status seen is counted
-- under its number in bench_statuses, and every unexpected answer once more in bench_failures
-- ("303", "400:invalid_grant", "200:unexpected-body", ...); done() prints one line
--   BENCH_RESULT {json}
-- with wrk's totals, latency percentiles (µs), socket errors and these counters, which
-- scripts/bench parses.
local common = {}

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = field end
  return fields
end

--- The rows of $BENCH_DATA as tables keyed by the header's column names.
function common.rows()
  local path = assert(os.getenv("BENCH_DATA"), "BENCH_DATA is not set")
  local file = assert(io.open(path, "r"))
  local names = split(file:read("*l"))
  local rows = {}
  for line in file:lines() do
    if line ~= "" then
      local values, row = split(line), {}
      for i, name in ipairs(names) do row[name] = values[i] end
      rows[#rows + 1] = row
    end
  end
  file:close()
  return rows
end

-- Runs in wrk's main Lua state, once per thread, before the thread's init().
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("bench_index", #threads)
end

-- Counters, global in each thread's state so that done() can read them with thread:get.
bench_ok, bench_bad, bench_flows, bench_reuse = 0, 0, 0, 0
bench_statuses, bench_failures = {}, {}

--- This thread's data row (call from init()).
function common.row()
  local rows = common.rows()
  assert(#rows > 0, "BENCH_DATA has no rows")
  return rows[((bench_index or 1) - 1) % #rows + 1]
end

--- Records one response; `tag` refines the status key (e.g. an OAuth error code).
function common.count(status, ok, tag)
  if ok then bench_ok = bench_ok + 1 else bench_bad = bench_bad + 1 end
  local key = tostring(status)
  bench_statuses[key] = (bench_statuses[key] or 0) + 1
  if not ok then
    if tag then key = key .. ":" .. tag end
    bench_failures[key] = (bench_failures[key] or 0) + 1
  end
end

--- The value of a response header, whatever the case of its name.
function common.header(headers, name)
  name = name:lower()
  for key, value in pairs(headers) do
    if key:lower() == name then return value end
  end
  return nil
end

--- The OAuth `error` code in a JSON body, if any.
function common.oauth_error(body)
  return body and body:match('"error"%s*:%s*"([^"]+)"') or nil
end

local function json(value)
  local kind = type(value)
  if kind == "table" then
    local parts = {}
    for k, v in pairs(value) do parts[#parts + 1] = string.format("%q:%s", tostring(k), json(v)) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif kind == "number" then
    return string.format("%.17g", value)
  elseif kind == "boolean" then
    return tostring(value)
  elseif value == nil then
    return "null"
  end
  return string.format("%q", tostring(value))
end

function done(summary, latency, requests)
  local total = {ok = 0, bad = 0, flows = 0, reuse = 0, statuses = {}, failures = {}, broken_chains = 0}
  for _, thread in ipairs(threads) do
    total.ok = total.ok + (thread:get("bench_ok") or 0)
    total.bad = total.bad + (thread:get("bench_bad") or 0)
    total.flows = total.flows + (thread:get("bench_flows") or 0)
    local reuse = thread:get("bench_reuse") or 0
    total.reuse = total.reuse + reuse
    if reuse > 0 then total.broken_chains = total.broken_chains + 1 end
    for key, count in pairs(thread:get("bench_statuses") or {}) do
      total.statuses[key] = (total.statuses[key] or 0) + count
    end
    for key, count in pairs(thread:get("bench_failures") or {}) do
      total.failures[key] = (total.failures[key] or 0) + count
    end
  end
  total.duration_us = summary.duration
  total.requests = summary.requests
  total.bytes = summary.bytes
  total.errors = {connect = summary.errors.connect, read = summary.errors.read, write = summary.errors.write,
                  status = summary.errors.status, timeout = summary.errors.timeout}
  total.latency_us = {p50 = latency:percentile(50), p90 = latency:percentile(90), p99 = latency:percentile(99),
                      max = latency.max, mean = latency.mean}
  total.threads = #threads
  io.write("BENCH_RESULT " .. json(total) .. "\n")
end

return common
