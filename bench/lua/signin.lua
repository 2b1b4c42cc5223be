-- POST /api/auth/signin, cycling through the signin bodies listed one JSON object a line in the
-- file given as the second script argument. Each thread starts at its own line, so that the
-- connections spread over the seeded users rather than all hammering the first one.

dofile("report.lua")

local prepared = {}
local next_request = 1

function init(args)
   for body in io.lines(args[2]) do
      -- Formatted once here: wrk's client shares the two cores with the server under test.
      table.insert(prepared, wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body))
   end
   next_request = thread_id % #prepared + 1
end

function request()
   local formatted = prepared[next_request]
   next_request = next_request % #prepared + 1
   return formatted
end
