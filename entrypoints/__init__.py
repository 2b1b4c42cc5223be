"""The outside world: HTTP app, dependency container (the one composition root), command line."""
