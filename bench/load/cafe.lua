-- Mixed cafe workload for wrk: 70% GET /items/{id}, 10% GET /items,
-- 10% POST /items, 10% PATCH /items/{id} (no If-Match: retried server-side).
-- Usage: wrk -s bench/load/cafe.lua URL -- IDS_FILE
local ids = {}
local token = os.getenv("API_TOKEN") or ""
local n = 0

function init(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  -- Threads start at different offsets so they touch different items.
  n = math.random(1, 1000)
end

function request()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  local slot = n % 10
  local write = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
  if slot < 7 then
    return wrk.format("GET", "/items/" .. id)
  elseif slot == 7 then
    return wrk.format("GET", "/items?limit=20")
  elseif slot == 8 then
    return wrk.format("POST", "/items", write, '{"name":"Load test bun","price":"1.20","category":"load"}')
  else
    return wrk.format("PATCH", "/items/" .. id, write, '{"is_offer":' .. ((n % 2 == 0) and "true" or "false") .. '}')
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_s":%.2f,"rps":%.1f,"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,"non_2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
