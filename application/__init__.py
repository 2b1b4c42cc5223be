"""Use cases of Authgate, one per module, and the ports they need. Imports only the domain."""
