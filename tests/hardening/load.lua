-- load.lua: wrk script for load.sh: cycles through a request mix ("cheap": /topology and
-- invalid requests; with the script argument "experiments": small experiments among them),
-- counts answers by status class per thread, and prints the totals at the end as
-- "statuses 2xx=N 4xx=N 429=N 5xx=N other=N".
local json = {["Content-Type"] = "application/json"}
-- "cheap": /topology and invalid requests, answered at once.
local cheap = {
  wrk.format("GET", "/topology"),
  wrk.format("GET", "/?iterations=0"),                       -- 400 out of range
  wrk.format("GET", "/?bogus=1"),                            -- 400 unknown parameter
  wrk.format("POST", "/", json, '{"iterations":'),           -- 400 malformed JSON
  wrk.format("POST", "/", json, '[1,2,3]'),                  -- 400 not an object
  wrk.format("DELETE", "/"),                                 -- 405
  wrk.format("GET", "/no/such/path"),                        -- 404
  wrk.format("GET", "/?node=63&iterations=1"),               -- 422 no such node
  wrk.format("GET", "/?chunk_mb=1024&iterations=100000"),    -- 422 does not fit
}
-- "experiments": small experiments (serialized by the server: 429 after EXP_BUSY_WAIT_MS)
-- between invalid ones.
local experiments = {
  wrk.format("GET", "/?iterations=4"),
  wrk.format("GET", "/?alloc=calloc"),                       -- 400
  wrk.format("POST", "/", json, '{"iterations":2,"chunk_mb":1}'),
  wrk.format("GET", "/topology"),
  wrk.format("GET", "/?iterations=2&alloc=malloc"),
}
local requests = cheap
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  if args[1] == "experiments" then requests = experiments end
  i = math.random(#requests)
  c2, c4, c429, c5, other = 0, 0, 0, 0, 0
end

function request()
  i = i % #requests + 1
  return requests[i]
end

function response(status, headers, body)
  if status == 429 then c429 = c429 + 1
  elseif status >= 200 and status < 300 then c2 = c2 + 1
  elseif status >= 400 and status < 500 then c4 = c4 + 1
  elseif status >= 500 then c5 = c5 + 1
  else other = other + 1 end
end

function done(summary, latency, reqs)
  local t = {c2 = 0, c4 = 0, c429 = 0, c5 = 0, other = 0}
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + thread:get(k) end
  end
  io.write(string.format("statuses 2xx=%d 4xx=%d 429=%d 5xx=%d other=%d\n",
    t.c2, t.c4, t.c429, t.c5, t.other))
end
