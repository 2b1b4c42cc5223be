from datetime import timedelta
from pathlib import Path

import pytest

from application.shared.session_policy import SessionPolicy
from application.shared.transactions import RetryPolicy
from entrypoints.ioc import build_container, core
from entrypoints.ioc.sessions import session_policy
from entrypoints.ioc.shared import retry_policy
from entrypoints.settings import MEMORY_DATABASE_URL, Settings, SettingsError


def test_defaults_serve_sqlite_under_the_data_folder_on_port_8080(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path)})

    assert settings.database.url == f"sqlite+aiosqlite:///{(tmp_path / 'authgate.sqlite3')}"
    assert settings.server.port == 8080
    assert settings.edge.cors_origins == ("http://localhost:8081",)
    assert settings.tokens.bcrypt_cost == 12
    assert settings.tokens.access_token_ttl == 3600


def test_a_generated_secret_is_kept_so_every_start_and_worker_agrees(tmp_path: Path) -> None:
    first = Settings.from_env({"DATA_DIR": str(tmp_path)})
    second = Settings.from_env({"DATA_DIR": str(tmp_path)})

    assert len(first.tokens.jwt_secret) >= 32
    assert first.tokens.jwt_secret == second.tokens.jwt_secret
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

    assert settings.edge.cors_origins == ("https://a.example", "https://b.example")


@pytest.mark.parametrize(
    ("name", "value"),
    [("PORT", "eighty"), ("PORT", "70000"), ("BCRYPT_COST", "3"), ("COOKIE_SECURE", "maybe")],
)
def test_a_bad_value_is_refused_by_name(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"DATA_DIR": str(tmp_path), name: value})


def test_memory_storage_is_chosen_by_its_url(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path), "DATABASE_URL": "memory://"})

    assert settings.database.url == MEMORY_DATABASE_URL
    assert settings.database.uses_memory_storage


def test_the_reliability_settings_are_read_from_their_variables(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "DATA_DIR": str(tmp_path),
            "REFRESH_ROTATION": "false",
            "HASH_QUEUE_TIMEOUT": "0.5",
            "DB_DEADLINE": "2.5",
            "DB_RETRY_ATTEMPTS": "6",
            "DB_RETRY_BACKOFF": "0.1",
        }
    )

    assert not session_policy(settings.tokens).rotation
    assert settings.tokens.hash_queue_timeout == 0.5
    assert settings.database.deadline == 2.5
    assert retry_policy(settings.database) == RetryPolicy(
        attempts=6, backoff=timedelta(seconds=0.1)
    )


def test_defaults_rotate_refresh_tokens_and_bound_every_wait(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path)})

    assert session_policy(settings.tokens) == SessionPolicy(
        refresh_token_lifetime=timedelta(days=1),
        session_lifetime=timedelta(days=7),
        reuse_grace=timedelta(seconds=5),
        rotation=True,
    )
    assert settings.database.deadline == 5
    assert settings.tokens.hash_queue_timeout == 5
    assert retry_policy(settings.database).attempts == 4


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REFRESH_ROTATION", "sometimes"),
        ("HASH_QUEUE_TIMEOUT", "0"),
        ("HASH_QUEUE_TIMEOUT", "61"),
        ("HASH_QUEUE_TIMEOUT", "soon"),
        ("DB_DEADLINE", "0.01"),
        ("DB_DEADLINE", "301"),
        ("DB_RETRY_ATTEMPTS", "0"),
        ("DB_RETRY_ATTEMPTS", "2.5"),
        ("DB_RETRY_ATTEMPTS", "21"),
        ("DB_RETRY_BACKOFF", "-1"),
        ("DB_RETRY_BACKOFF", "6"),
        ("BCRYPT_THREADS", "-1"),
        ("REFRESH_REUSE_GRACE", "301"),
    ],
)
def test_a_bad_reliability_value_is_refused_by_name(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"DATA_DIR": str(tmp_path), name: value})


@pytest.mark.parametrize(
    ("cores", "workers", "threads", "hashing_threads"),
    [(8, 2, "0", 8), (2, 2, "0", 2), (2, 4, "0", 2), (8, 2, "3", 3)],
)
def test_hashing_threads_default_to_one_per_core_in_each_worker(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cores: int,
    workers: int,
    threads: str,
    hashing_threads: int,
) -> None:
    # The kernel may hand one worker every connection: it must still hash on every core. The
    # workers' shared places keep them together to one hash a core.
    monkeypatch.setattr("entrypoints.ioc.core.os.cpu_count", lambda: cores)

    settings = Settings.from_env(
        {"DATA_DIR": str(tmp_path), "WORKERS": str(workers), "BCRYPT_THREADS": threads}
    )

    assert core.hashing_threads(settings.tokens) == hashing_threads


async def test_the_container_is_given_the_settings_as_its_context(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"DATA_DIR": str(tmp_path), "DATABASE_URL": "memory://", "REFRESH_ROTATION": "off"}
    )
    container = build_container(settings)
    try:
        assert await container.get(Settings) is settings
        assert not (await container.get(SessionPolicy)).rotation
        assert await container.get(RetryPolicy) == retry_policy(settings.database)
    finally:
        await container.close()


async def test_each_section_of_the_settings_is_in_the_container(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path), "DATABASE_URL": "memory://"})
    container = build_container(settings)
    try:
        for kind, section in settings.sections().items():
            assert await container.get(kind) is section
    finally:
        await container.close()


def test_a_few_settings_are_written_by_their_variables_in_lower_case() -> None:
    settings = Settings.of(db_deadline=1.5, rate_limits=False, mail_from="Me <me@example.org>")

    assert settings.database.deadline == 1.5
    assert settings.limits.enabled is False
    assert settings.mail.sender == "Me <me@example.org>"
    assert settings.replaced(db_deadline=2.0).database.deadline == 2.0
    with pytest.raises(TypeError, match="DB_DEADLIN"):
        Settings.of(db_deadlin=1.0)
