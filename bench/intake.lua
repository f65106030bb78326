-- wrk script for bench/http_load.py: a unique report or registration on every request.
--
-- BENCH_WHAT: "report" (JSON, anonymous, P1 child-safety category) or "content" (a form
-- with MD5 and PDQ signals, sent with the key in BENCH_KEY when it is set).
-- Prints one JSON line when done, for http_load.py to read.

local what = os.getenv("BENCH_WHAT") or "report"
local key = os.getenv("BENCH_KEY") or ""
local threads = {}
local counter = 0
local prefix = ""

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(_args)
  -- Seeded per thread and run: two runs never send the same content id.
  math.randomseed(os.time() * 1000 + (id or 0))
  prefix = string.format("%d-%08x", id or 0, math.random(0, 0x7fffffff))
  if what == "content" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    if key ~= "" then
      wrk.headers["Authorization"] = "Bearer " .. key
    end
  else
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
end

local function hex(n)
  local out = {}
  for i = 1, n do
    out[i] = string.format("%x", math.random(0, 15))
  end
  return table.concat(out)
end

function request()
  counter = counter + 1
  local tag = prefix .. "-" .. counter
  if what == "content" then
    local signals = '{"md5":"' .. hex(32) .. '","pdq":"' .. hex(64) .. '","pdq_quality":100}'
    local body = "content_id=c-" .. tag .. "&account_id=a-" .. (counter % 97)
      .. "&signals=" .. signals:gsub('[{}":,]', function(c)
        return string.format("%%%02X", string.byte(c))
      end)
    return wrk.format(nil, "/v1/content", nil, body)
  end
  local body = '{"content_id":"bench-' .. tag .. '","category":"child_sexual_exploitation",'
    .. '"reporter_role":"third_party","depicts_minor":true}'
  return wrk.format(nil, "/v1/reports", nil, body)
end

function done(summary, latency, _requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.6f,"non_2xx":%d,"socket_errors":%d,'
      .. '"p50_ms":%.3f,"p99_ms":%.3f}\n',
    summary.requests,
    summary.duration / 1e6,
    errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000
  ))
end
