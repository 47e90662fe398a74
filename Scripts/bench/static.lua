-- wrk: the nginx baseline, with the same per-response work in the load
-- generator as lifecycle.lua and refresh.lua (pulling the token out of the
-- body), so that both sides of the ratio cost wrk the same.
local tokens = {}

response = function(status, headers, body)
  local token = body:match('"token":"([^"]+)"')
  local alias = body:match('"conference_name":"([^"]+)"')
  if token and alias then
    table.insert(tokens, token)
    if #tokens > 64 then tokens = {} end
  end
end
