from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Client:
    """Who is at the other end of a request, as the HTTP layer established it: the address rate
    limits count by and sessions and audit events record, and the user agent they show."""

    address: str
    user_agent: str = ""


UNKNOWN_CLIENT = Client(address="unknown")
"""For work that no request started: the command line, a periodic task, a unit test."""
