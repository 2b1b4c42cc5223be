class BenchError(Exception):
    """The bench cannot go on: a missing tool, a server that does not start, a failed seed."""
