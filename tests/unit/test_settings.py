from pathlib import Path

import pytest

from entrypoints.settings import MEMORY_DATABASE_URL, Settings, SettingsError


def test_defaults_serve_sqlite_under_the_data_folder_on_port_8080(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path)})

    assert settings.database_url == f"sqlite+aiosqlite:///{(tmp_path / 'authgate.sqlite3')}"
    assert settings.port == 8080
    assert settings.cors_origins == ("http://localhost:8081",)
    assert settings.bcrypt_cost == 12
    assert settings.access_token_ttl == 3600


def test_a_generated_secret_is_kept_so_every_start_and_worker_agrees(tmp_path: Path) -> None:
    first = Settings.from_env({"DATA_DIR": str(tmp_path)})
    second = Settings.from_env({"DATA_DIR": str(tmp_path)})

    assert len(first.jwt_secret) >= 32
    assert first.jwt_secret == second.jwt_secret
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o077 == 0


def test_a_short_configured_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "JWT_SECRET": "too-short"})


def test_a_wildcard_cors_origin_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="CORS_ORIGINS"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "CORS_ORIGINS": "https://a.example, *"})


def test_cors_origins_are_a_comma_separated_list(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"DATA_DIR": str(tmp_path), "CORS_ORIGINS": "https://a.example/, https://b.example"}
    )

    assert settings.cors_origins == ("https://a.example", "https://b.example")


@pytest.mark.parametrize(
    ("name", "value"),
    [("PORT", "eighty"), ("PORT", "70000"), ("BCRYPT_COST", "3"), ("COOKIE_SECURE", "maybe")],
)
def test_a_bad_value_is_refused_by_name(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"DATA_DIR": str(tmp_path), name: value})


def test_memory_storage_is_chosen_by_its_url(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path), "DATABASE_URL": "memory://"})

    assert settings.database_url == MEMORY_DATABASE_URL
    assert settings.uses_memory_storage
