-- wrk script: GET the URL given to wrk with an API key; prints one RESULT line like post.lua.
--   API_KEY  sent as x-api-key when set
local key = os.getenv("API_KEY")
wrk.method = "GET"
if key then wrk.headers["x-api-key"] = key end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.0f p50_us=%d p99_us=%d non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
