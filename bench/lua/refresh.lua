-- POST /api/auth/refreshtoken over many sessions at once, never presenting a refresh token twice:
-- the service rotates the token on every refresh and treats a reuse as theft (it revokes the
-- session), so every request must carry the token that the previous answer of its session gave.
--
-- The file given as the second script argument holds one fresh refresh token a line, more than
-- one per connection; thread k takes the lines k, k + threads, ... Requests take any token from
-- the thread's pool and each successful answer puts its session's next token back, so the pool
-- never runs dry in a run without errors. A failed request loses its session to a spare one;
-- once the spares are gone too, requests carry a placeholder that the service answers 403.

dofile("report.lua")

local tokens = {}

function init(args)
   local thread_count = tonumber(args[1])
   local line = 0
   for token in io.lines(args[2]) do
      if line % thread_count == thread_id then
         table.insert(tokens, token)
      end
      line = line + 1
   end
end

function request()
   local token = table.remove(tokens) or "exhausted"
   return wrk.format(
      "POST", nil, {["Content-Type"] = "application/json"}, '{"refreshToken":"' .. token .. '"}'
   )
end

function response(status, headers, body)
   count_status(status)
   local token = body:match('"refreshToken"%s*:%s*"([^"]+)"')
   if token then
      table.insert(tokens, token)
   end
end
