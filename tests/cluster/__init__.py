"""Checks on a real multi-primary Galera cluster (`make cluster-test`): three MariaDB nodes on
loopback (testkit/galera.py), one Authgate server per node (testkit/cluster.py), requests sent at
once and spread over the servers (`spread`), their answers counted (`tally`). Each check adds a
line with its counts to the report printed at the end of the run (report.py).

- test_cross_node: signup races by username and by email (one user per contested name, on every
  node), refresh races (one successor, one live token), and a sign-out or a role change on one
  node refused at once on the others (causal reads);
- test_last_admin: two administrators removing each other (demote, disable, delete, in every
  pairing) through two servers at once leave one enabled administrator, on every node; the
  guard row makes the two changes conflict in certification, and the loser gets 409;
- test_node_failure: a node killed, then one frozen, under load: the other servers answer 200,
  the failed node's 503 (never 500, never a hang), and it answers 200 again once the node is
  back, without a restart;
- test_shared_limits: with the limits on, failed signins for one account spread over the
  servers are refused (429) from the configured count on, not from count x servers: over the
  three nodes with the tallies in the database, and over two servers sharing one Redis.
"""
