"""The settings that bound slow clients and choose the edge's headers and docs."""

from pathlib import Path

import pytest

from entrypoints.settings import Settings, SettingsError


def test_edge_defaults_cut_slow_clients_off_and_send_no_hsts(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path)})

    assert settings.edge.header_read_timeout == 10
    assert settings.edge.body_read_timeout == 10
    assert settings.edge.max_connections == 4096
    assert settings.edge.hsts_max_age == 0
    assert settings.edge.docs_enabled is True


def test_edge_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "DATA_DIR": str(tmp_path),
            "HEADER_READ_TIMEOUT": "2.5",
            "BODY_READ_TIMEOUT": "30",
            "MAX_CONNECTIONS": "10000",
            "HSTS_MAX_AGE": "63072000",
            "DOCS_ENABLED": "false",
        }
    )

    assert settings.edge.header_read_timeout == 2.5
    assert settings.edge.body_read_timeout == 30
    assert settings.edge.max_connections == 10000
    assert settings.edge.hsts_max_age == 63072000
    assert settings.edge.docs_enabled is False


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HEADER_READ_TIMEOUT", "0"),
        ("HEADER_READ_TIMEOUT", "61"),  # granian takes at most 60 s
        ("BODY_READ_TIMEOUT", "0"),
        ("MAX_CONNECTIONS", "1"),
        ("HSTS_MAX_AGE", "-1"),
        ("DOCS_ENABLED", "sometimes"),
    ],
)
def test_edge_settings_out_of_bounds_are_refused(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({"DATA_DIR": str(tmp_path), variable: value})
