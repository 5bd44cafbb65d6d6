-- wrk script: ../shared/bench/post.lua (POST_LUA) with its random numbers seeded from SEED.
--
-- post.lua makes each fresh Idempotency-Key from math.random and a counter. Unseeded, every
-- wrk process draws the same numbers: a measured run after its warm-up sends the warm-up's
-- keys again, and its first requests are replays, not creates. run.sh gives every wrk run a
-- SEED of its own; the load is otherwise post.lua's, unchanged.
math.randomseed(assert(tonumber(os.getenv("SEED")), "SEED: a number"))
dofile(assert(os.getenv("POST_LUA"), "POST_LUA: the path of post.lua"))
