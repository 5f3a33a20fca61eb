-- Mixed cafe workload for wrk: 70% GET /items/{id}, 10% GET /items,
-- 10% POST /items, 10% PATCH /items/{id} (no If-Match: retried server-side).
-- Usage: wrk -s bench/load/cafe.lua URL -- IDS_FILE (from the repository root)
dofile("bench/load/report.lua")
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
