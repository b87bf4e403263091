-- wrk script: every request is a POST of one fixed JSON body. run.sh passes, via the environment,
--   BENCH_BODY      path of the body file (read once, when wrk starts)
--   BENCH_HEADERS   extra "Name: value" headers, one per line (may be empty)
-- There is deliberately no response() hook: it would make wrk hand every response to Lua and
-- turn the load generator into the bottleneck. wrk counts non-2xx answers by itself.
local file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.body = file:read("*a"):gsub("%s+$", "")
file:close()

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^%s*([^:]-)%s*:%s*(.-)%s*$")
  if name and name ~= "" then wrk.headers[name] = value end
end
