"""Authgate's pure model: users, roles, credentials and sessions. Standard library only."""
