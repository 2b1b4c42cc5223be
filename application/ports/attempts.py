"""Tallies of attempts, shared by every process, for the rate limits."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.attempts import Limit, Tally


@dataclass(frozen=True, slots=True)
class AttemptsReserved:
    """What `AttemptCounter.reserve` decided."""

    admitted: bool
    """True: every limit let the attempt go ahead, and it is counted on every key."""
    tallies: Mapping[str, Tally]
    """The live tallies the decision was made on, before this attempt; a key without one is
    left out."""


class AttemptCounter(Protocol):
    """Tallies of attempts for the rate limits, shared by every worker and server that shares the
    storage. Writes belong to the caller's unit of work where the storage has transactions."""

    async def tallies(self, keys: Sequence[str], now: datetime) -> Mapping[str, Tally]:
        """The live tallies of these keys; a key without one is left out."""
        ...

    async def reserve(self, limits: Mapping[str, Limit], now: datetime) -> AttemptsReserved:
        """Takes a place for one attempt on every key at once, before the attempt's costly work:
        if every key's limit lets an attempt go ahead at `now` (`Limit.wait` is zero), counts one
        on each as `Limit.counted` says; if any holds, counts none. Read, decision and count are
        one atomic step for the keys together: of concurrent reservations, from any process,
        exactly as many are admitted as the limits allow. The keys are taken in one fixed order,
        so that reservations sharing keys cannot deadlock.

        A refusal may leave provisional writes in the caller's unit of work: the caller rolls it
        back (and commits an admitted one at once, so that every other process sees it)."""
        ...

    async def release(self, keys: Sequence[str], now: datetime, forget: Sequence[str] = ()) -> None:
        """Gives back one reserved attempt on each of `keys` whose tally is still live at `now`
        (never below zero; a tally that expired is left as it is, and never made live again),
        and forgets the tallies of `forget` altogether; all in one atomic
        update taking the keys in the same fixed order as `reserve`."""
        ...

    async def add(self, key: str, limit: Limit, now: datetime) -> None:
        """Counts one attempt on `key` as `limit.counted` says, in one atomic update whose result
        does not depend on an earlier read: concurrent attempts, from any process, all count."""
        ...
