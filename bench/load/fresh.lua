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
-- `__U__` becomes two private-use characters (U+E000-U+F8FF, as JSON
-- escapes) that no other request of the last ~1,000 seconds had: patterns
-- with a class like `[\w__U__]` then bring a Unicode class the server has
-- never charged.
local private_use = 6400
local first = (os.time() % 1000) * 40000
function request()
  counter = counter + 1
  local n = first + counter
  local u = string.format("\\u%04X\\u%04X", 0xE000 + n % private_use,
    0xE000 + math.floor(n / private_use) % private_use)
  local body = template:gsub("__N__", started .. "-" .. string.format("%d", counter))
  body = body:gsub("__U__", u)
  return wrk.format(nil, nil, nil, body)
end
