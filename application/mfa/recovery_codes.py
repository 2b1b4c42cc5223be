"""New recovery codes for a user: shown once, stored as keyed digests only."""

from application.ports.second_factors import SecondFactorStore, SecretSealer
from domain.second_factor import new_recovery_codes


async def issue_recovery_codes(
    factors: SecondFactorStore, sealer: SecretSealer, user_id: int
) -> list[str]:
    """Replaces the user's recovery codes, inside the caller's unit of work; the new codes, as
    the user is to write them down."""
    codes = new_recovery_codes()
    digests = [sealer.recovery_code_digest(code.normalized, user_id) for code in codes]
    await factors.replace_recovery_codes(user_id, digests)
    return [code.value for code in codes]
