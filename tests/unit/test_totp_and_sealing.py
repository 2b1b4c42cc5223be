"""The adapters the second factor leans on: TOTP against RFC 6238's own test vectors and against
an independent implementation (Debian's oathtool), the QR code, and the sealing of secrets."""

import base64
import os
import shutil
import subprocess
from datetime import UTC, datetime

import pyotp
import pytest

from adapters.mfa_secrets import AesGcmSecretSealer
from adapters.pyotp_totp import PyotpTotpAlgorithm
from adapters.segno_qr import SegnoQrCodes
from domain.second_factor import time_step
from tests.tokens import TEST_SECRET

# RFC 6238, Appendix B: the SHA-1 seed and the 8-digit codes at each test time.
RFC_SEED = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
TOTP = PyotpTotpAlgorithm()


@pytest.mark.parametrize(("unix_time", "code"), RFC_VECTORS)
def test_pyotp_computes_the_rfc_6238_vectors(unix_time: int, code: str) -> None:
    assert pyotp.TOTP(RFC_SEED, digits=8).at(unix_time) == code


@pytest.mark.parametrize(("unix_time", "code"), RFC_VECTORS)
def test_the_six_digit_code_of_each_rfc_step_is_the_vectors_last_six(
    unix_time: int, code: str
) -> None:
    # HOTP truncates to the code's value modulo 10^digits: six digits are the eight's last six.
    step = time_step(datetime.fromtimestamp(unix_time, UTC))

    assert TOTP.code_at(RFC_SEED, step) == code[-6:]


@pytest.mark.skipif(
    shutil.which("oathtool") is None and os.environ.get("CI") != "true",
    reason="oathtool is not installed (under CI this check fails instead)",
)
@pytest.mark.parametrize("unix_time", [59, 1111111109, 1_700_000_000, 1_796_000_015])
def test_the_codes_agree_with_oathtool(unix_time: int) -> None:
    secret = TOTP.new_secret()
    step = time_step(datetime.fromtimestamp(unix_time, UTC))

    oathtool = subprocess.run(  # noqa: S603 - a fixed tool, arguments this test made
        ["oathtool", "--totp", "-b", secret, "-N", f"@{unix_time}"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    )

    assert oathtool.stdout.strip() == TOTP.code_at(secret, step)


def test_a_new_secret_is_160_random_bits_in_base32() -> None:
    secrets = {TOTP.new_secret() for _ in range(20)}

    assert len(secrets) == 20
    assert all(len(base64.b32decode(secret)) == 20 for secret in secrets)


def test_the_provisioning_uri_names_the_issuer_and_the_account() -> None:
    uri = TOTP.provisioning_uri(RFC_SEED, "alice", "Authgate")

    assert uri == f"otpauth://totp/Authgate:alice?secret={RFC_SEED}&issuer=Authgate"


def test_the_qr_code_is_an_svg_document() -> None:
    svg = SegnoQrCodes().svg("otpauth://totp/Authgate:alice?secret=JBSWY3DPEHPK3PXP")

    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")


def test_a_sealed_secret_opens_only_for_its_user_under_its_key() -> None:
    sealer = AesGcmSecretSealer(TEST_SECRET)
    other_key = AesGcmSecretSealer(TEST_SECRET[::-1])

    sealed = sealer.seal("JBSWY3DPEHPK3PXP", 7)

    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert sealer.seal("JBSWY3DPEHPK3PXP", 7) != sealed  # a fresh nonce each time
    assert sealer.unseal(sealed, 7) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(ValueError, match="not sealed"):
        sealer.unseal(sealed, 8)
    with pytest.raises(ValueError, match="not sealed"):
        other_key.unseal(sealed, 7)
    with pytest.raises(ValueError, match="unknown version"):
        sealer.unseal("v0." + sealed[3:], 7)


def test_a_recovery_code_digest_is_keyed_and_bound_to_its_user() -> None:
    sealer = AesGcmSecretSealer(TEST_SECRET)

    digest = sealer.recovery_code_digest("abcdefghjkmn", 7)

    assert len(digest) == 64
    assert digest == sealer.recovery_code_digest("abcdefghjkmn", 7)
    assert digest != sealer.recovery_code_digest("abcdefghjkmn", 8)
    assert digest != AesGcmSecretSealer(TEST_SECRET[::-1]).recovery_code_digest("abcdefghjkmn", 7)
