"""How this service signs: with published keys on the schedule below, or with JWT_SECRET alone
(HS256), when there are no keys to rotate, revoke or publish."""

from dataclasses import dataclass

from domain.signing_keys import KeySchedule


@dataclass(frozen=True, slots=True)
class KeyPolicy:
    publishes_keys: bool
    schedule: KeySchedule
