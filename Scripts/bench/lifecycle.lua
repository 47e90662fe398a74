-- wrk: request_token then release_token, spread over BENCH_CONFERENCES conferences.
-- Each thread keeps the tokens it was given and releases them on later requests.
local tokens = {}
local counter = 0
local conferences = tonumber(os.getenv("BENCH_CONFERENCES") or "1024")

request = function()
  local t = table.remove(tokens)
  if t then
    return wrk.format("POST", "/api/client/v2/conferences/" .. t.alias .. "/release_token", { ["token"] = t.token }, "")
  end
  counter = counter + 1
  local alias = "bench" .. (counter % conferences)
  return wrk.format("POST", "/api/client/v2/conferences/" .. alias .. "/request_token",
    { ["Content-Type"] = "application/json" }, '{"display_name":"bench"}')
end

response = function(status, headers, body)
  if status == 200 then
    local token = body:match('"token":"([^"]+)"')
    local alias = body:match('"conference_name":"([^"]+)"')
    if token and alias then table.insert(tokens, { alias = alias, token = token }) end
  end
end
