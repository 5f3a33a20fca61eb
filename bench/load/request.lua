-- One request, repeated: LOAD_METHOD (default GET) with the JSON body in
-- LOAD_BODY_FILE, if any. Usage: wrk -s bench/load/request.lua URL
dofile("bench/load/report.lua")
wrk.method = os.getenv("LOAD_METHOD") or "GET"
local body_file = os.getenv("LOAD_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end
