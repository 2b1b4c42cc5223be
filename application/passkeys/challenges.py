"""The challenges of both ceremonies: issued into the shared storage, and used up at most once,
before anything the authenticator signed is believed."""

from application.ports.clock import Clock
from application.ports.passkeys import Credential, PasskeyChallengeStore, RelyingParty
from application.shared.transactions import Transactions
from domain.passkey import ChallengePurpose, PasskeyChallenge, challenge_digest, issue_challenge


class PasskeyChallenges:
    def __init__(
        self,
        challenges: PasskeyChallengeStore,
        relying_party: RelyingParty,
        clock: Clock,
        transactions: Transactions,
    ) -> None:
        self._challenges = challenges
        self._relying_party = relying_party
        self._clock = clock
        self._transactions = transactions

    async def issue(self, purpose: ChallengePurpose, user_id: int | None) -> bytes:
        """A new challenge, committed before it is handed out."""
        challenge, record = issue_challenge(purpose, user_id, self._clock.now())
        await self._transactions.run(lambda: self._challenges.add(record))
        return challenge

    async def use_up(self, credential: Credential) -> tuple[bytes, PasskeyChallenge] | None:
        """The challenge the credential answers and its record, deleted in a unit of work of its
        own and committed before the credential is checked: a failed check still used it, and
        of two uses of one challenge only one gets it. None when it was unknown or used."""
        challenge = self._relying_party.challenge_of(credential)
        if challenge is None:
            return None
        digest = challenge_digest(challenge)
        record = await self._transactions.run(lambda: self._challenges.consume(digest))
        return None if record is None else (challenge, record)
