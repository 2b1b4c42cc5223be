"""The relying party's settings: defaults for the sample clients' page, a list of origins."""

from pathlib import Path

import pytest

from entrypoints.settings import Settings, SettingsError


def test_passkeys_default_to_the_sample_clients_page_on_localhost(tmp_path: Path) -> None:
    passkeys = Settings.from_env({"DATA_DIR": str(tmp_path)}).passkeys

    assert passkeys.webauthn_rp_id == "localhost"
    assert passkeys.webauthn_rp_name == "Authgate"
    assert passkeys.webauthn_origins == ("http://localhost:8081",)


def test_the_relying_party_and_its_origins_are_read_from_the_environment(tmp_path: Path) -> None:
    passkeys = Settings.from_env(
        {
            "DATA_DIR": str(tmp_path),
            "WEBAUTHN_RP_ID": "example.com",
            "WEBAUTHN_RP_NAME": "Example",
            "WEBAUTHN_ORIGINS": "https://example.com/, https://app.example.com",
        }
    ).passkeys

    assert passkeys.webauthn_rp_id == "example.com"
    assert passkeys.webauthn_rp_name == "Example"
    assert passkeys.webauthn_origins == ("https://example.com", "https://app.example.com")


@pytest.mark.parametrize("origins", ["example.com", "*"])
def test_an_origin_without_a_scheme_is_refused(tmp_path: Path, origins: str) -> None:
    with pytest.raises(SettingsError, match="WEBAUTHN_ORIGINS"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "WEBAUTHN_ORIGINS": origins})
