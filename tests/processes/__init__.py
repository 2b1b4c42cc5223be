"""Tests that run `authgate serve` for real, in processes of their own (granian, its workers,
real sockets), and start, kill and restart them: the behaviour no in-process client can show.
They cost seconds each, not milliseconds: `make processes` runs them alone."""
