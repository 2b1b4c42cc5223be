-- GET requests each carrying the next of many users' access tokens (x-access-token), so that the
-- server is measured on many sessions at once, not one token hammered by every connection: a
-- cache or a batch that only pays off for a repeated token shows up as the difference.
--
-- The file given as the second script argument holds one access token a line. Every thread
-- cycles through all of them, thread k starting k / threads of the way in, so that the requests
-- in flight at one moment carry different users' tokens. A request made here carries only the
-- headers it is given, so a token on the command line is not sent (the fixed-rate rows of the
-- same load send that one alone).

dofile("report.lua")

local tokens = {}
local next_token = 1

function init(args)
   local thread_count = tonumber(args[1])
   for token in io.lines(args[2]) do
      table.insert(tokens, token)
   end
   next_token = math.floor(#tokens * thread_id / thread_count) + 1
end

function request()
   local token = tokens[next_token]
   next_token = next_token % #tokens + 1
   return wrk.format("GET", nil, {["x-access-token"] = token})
end
