"""What the tests and the bench both need to run Authgate for real: a throwaway MySQL database, a
free port, and `authgate serve` in a process of its own that is known to serve before use.

Not part of the service: setuptools does not ship it, and nothing under the service's packages
imports it.
"""
