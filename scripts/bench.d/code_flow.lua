-- code_flow.lua: the whole authorization-code flow, as a browser and a client would run it,
-- one flow after another on each connection. Needs one connection per thread (-t N -c N):
-- the step below belongs to the thread's Lua state, so it must follow a single connection.
--
--   1. GET  /oauth2/authorize?…      with the user's session cookie → 200, the consent page
--   2. POST /oauth2/authorize        the consent form (decision=approve, the session's
--                                    csrf_token) → 303 to redirect_uri?code=…
--   3. POST /oauth2/token            grant_type=authorization_code, HTTP Basic → 200 tokens
--
-- A flow counts once step 3 answers 200 with an access token. Any unexpected answer is
-- counted as an error and the connection starts a new flow at step 1.
-- Data row: cookie, authorize_path, consent_body, authorization, redirect_uri (form-encoded).
local common = dofile(os.getenv("BENCH_D") .. "/common.lua")

local row, step, code
local authorize_request, consent_request

function init(args)
  row = common.row()
  step = 1
  authorize_request = wrk.format("GET", row.authorize_path, {["Cookie"] = row.cookie})
  consent_request = wrk.format("POST", "/oauth2/authorize",
    {["Cookie"] = row.cookie, ["Content-Type"] = "application/x-www-form-urlencoded"}, row.consent_body)
end

function request()
  if step == 1 then return authorize_request end
  if step == 2 then return consent_request end
  return wrk.format("POST", "/oauth2/token",
    {["Authorization"] = row.authorization, ["Content-Type"] = "application/x-www-form-urlencoded"},
    "grant_type=authorization_code&code=" .. code .. "&redirect_uri=" .. row.redirect_uri)
end

function response(status, headers, body)
  if step == 1 then
    local ok = status == 200 and body ~= nil and body:find('name="decision"', 1, true) ~= nil
    common.count(status, ok, (not ok and status == 200) and "no-consent-form" or nil)
    step = ok and 2 or 1
  elseif step == 2 then
    local location = common.header(headers, "Location") or ""
    code = location:match("[?&]code=([^&]+)")
    local ok = status == 303 and code ~= nil
    common.count(status, ok, (not ok and status == 303) and "no-code" or nil)
    step = ok and 3 or 1
  else
    local ok = status == 200 and body ~= nil and body:find('"access_token"', 1, true) ~= nil
    -- An OpenID Connect flow (scope openid) must also have its ID token.
    if ok and row.authorize_path:find("openid", 1, true) then ok = body:find('"id_token"', 1, true) ~= nil end
    common.count(status, ok, not ok and common.oauth_error(body) or nil)
    if ok then bench_flows = bench_flows + 1 end
    step = 1
  end
end
