"""Checks on a real multi-primary Galera cluster (`make cluster-test`).

Two checks wait for features built on other branches, and need only a few lines with `spread`
and `tally` (testkit/cluster.py):
- the last-admin guard across nodes: two admins, each removing the other's admin role (or
  disabling, deleting) through a different server at once: one 200, one 409, an admin left on
  every node;
- throttles shared across servers: failed signins for one account spread over the servers (and,
  with REDIS_URL, two servers on one Redis) reach 429 at the configured count, not at count x
  servers.
"""
