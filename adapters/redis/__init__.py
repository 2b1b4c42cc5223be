"""Redis, for the state that must be shared quickly across workers and servers: rate limits."""
