"""Implementations of the application's ports: storage, hashing, tokens, time."""
