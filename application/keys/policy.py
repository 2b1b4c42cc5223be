"""How this service signs: with published keys on the schedule below, or with JWT_SECRET alone
(HS256), when there are no keys to rotate, revoke or publish."""

from dataclasses import dataclass

from domain.signing_keys import KeySchedule


@dataclass(frozen=True, slots=True)
class KeyPolicy:
    publishes_keys: bool
    schedule: KeySchedule
    algorithm: str = "ES256"
    issuer: str = "http://localhost:8080"
    """JWT_ISSUER: every token's `iss`, and the base of the discovery document's addresses."""
