-- wrk: refresh_token in a loop, each refresh using the token the last one returned.
local tokens = {}

request = function()
  local t = table.remove(tokens, 1)
  if t then
    return wrk.format("POST", "/api/client/v2/conferences/refresh/refresh_token", { ["token"] = t }, "")
  end
  return wrk.format("POST", "/api/client/v2/conferences/refresh/request_token",
    { ["Content-Type"] = "application/json" }, '{"display_name":"bench"}')
end

response = function(status, headers, body)
  if status == 200 then
    local token = body:match('"token":"([^"]+)"')
    if token then table.insert(tokens, token) end
  end
end
