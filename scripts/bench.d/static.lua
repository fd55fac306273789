-- static.lua: one fixed request per connection, repeated as fast as the server answers.
-- Scenarios: client_credentials token, GET /api/v1/users/@me, introspection, console page.
--
-- The data row says what to send and what counts as success:
--   method, path, body ("" for none), authorization, cookie, content_type ("" = header not sent),
--   expect_status (e.g. 200), expect_body (a plain substring the body must contain; "" = any).
-- The request is static (no request() function), so wrk builds it once per thread.
local common = dofile(os.getenv("BENCH_D") .. "/common.lua")

local expect_status, expect_body

function init(args)
  local row = common.row()
  wrk.method = row.method
  wrk.path = row.path
  if row.body ~= "" then wrk.body = row.body end
  if row.authorization ~= "" then wrk.headers["Authorization"] = row.authorization end
  if row.cookie ~= "" then wrk.headers["Cookie"] = row.cookie end
  if row.content_type ~= "" then wrk.headers["Content-Type"] = row.content_type end
  expect_status = tonumber(row.expect_status)
  expect_body = row.expect_body
end

function response(status, headers, body)
  if status ~= expect_status then
    common.count(status, false, common.oauth_error(body))
  elseif expect_body ~= "" and not (body and body:find(expect_body, 1, true)) then
    common.count(status, false, "unexpected-body")
  else
    common.count(status, true)
  end
end
