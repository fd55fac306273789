-- refresh.lua: refresh-token rotation. Each connection holds its own refresh token (its own
-- token family) and replaces it with the one in every answer, so no token is ever presented
-- twice: any invalid_grant here is a false reuse detection (or a lost chain) and is counted in
-- bench_reuse. Needs one connection per thread (-t N -c N), so the token follows its connection.
-- Data row: refresh_token, authorization (HTTP Basic of the client).
--
-- wrk must not time out a request (scripts/bench passes a long --timeout): a request whose
-- answer is dropped has still rotated the token on the server, and the next one would then
-- present a used token, a real reuse.
local common = dofile(os.getenv("BENCH_D") .. "/common.lua")

local row, current

function init(args)
  row = common.row()
  current = row.refresh_token
end

function request()
  return wrk.format("POST", "/oauth2/token",
    {["Authorization"] = row.authorization, ["Content-Type"] = "application/x-www-form-urlencoded"},
    "grant_type=refresh_token&refresh_token=" .. current)
end

function response(status, headers, body)
  local new = status == 200 and body and body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if new then
    current = new
    common.count(status, true)
  else
    local error = common.oauth_error(body)
    if error == "invalid_grant" then bench_reuse = bench_reuse + 1 end
    common.count(status, false, error or (status == 200 and "no-refresh-token" or nil))
  end
end
