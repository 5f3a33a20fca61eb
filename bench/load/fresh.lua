-- Like request.lua, but no two requests are the same: `__N__` in the JSON
-- body in LOAD_BODY_FILE becomes a number that never repeats (seeded from
-- the clock, so a warm-up run and the measured run differ too). A server-side
-- cache keyed by the body then never hits: what a client that sends new
-- recognizers every time costs. Usage: wrk -s bench/load/fresh.lua URL
dofile("bench/load/report.lua")
wrk.method = os.getenv("LOAD_METHOD") or "POST"
local f = assert(io.open(assert(os.getenv("LOAD_BODY_FILE")), "rb"))
local template = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
-- As text, not one big number: LuaJIT prints 14 significant digits, and
-- numbers that differ past them would print the same.
local started = string.format("%d", os.time())
local counter = 0
function request()
  counter = counter + 1
  local body = template:gsub("__N__", started .. "-" .. string.format("%d", counter))
  return wrk.format(nil, nil, nil, body)
end
