"""PANEL_SERVER_SIZES and PANEL_SERVER_ALLOCATION: read and checked when the panel starts."""

import pytest

from panel.config import settings_from_env


def test_sizes_are_read_from_json_with_ports_and_ranges():
    raw = (
        '{"tiny": {"cpus": 1, "memory_mib": 512, "disk_gib": 5, "sudo": false,'
        ' "ports": [25, "8000-8010"]}}'
    )

    settings = settings_from_env({"PANEL_SERVER_SIZES": raw, "PANEL_SERVER_ALLOCATION": "auto"})

    assert settings["SERVER_SIZES"] == {
        "tiny": {
            "cpus": 1,
            "memory_mib": 512,
            "disk_gib": 5,
            "sudo": False,
            "ports": [[25, 25], [8000, 8010]],
        }
    }
    assert settings["SERVER_ALLOCATION"] == "auto"


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "{}",
        '{"Tiny": {"cpus": 1, "memory_mib": 1, "disk_gib": 1, "sudo": false, "ports": []}}',
        '{"tiny": {"cpus": 0, "memory_mib": 1, "disk_gib": 1, "sudo": false, "ports": []}}',
        '{"tiny": {"cpus": 1, "memory_mib": 1, "disk_gib": 1, "sudo": "yes", "ports": []}}',
        '{"tiny": {"cpus": 1, "memory_mib": 1, "disk_gib": 1, "sudo": false, "ports": ["0-10"]}}',
        '{"tiny": {"cpus": 1, "memory_mib": 1, "disk_gib": 1, "sudo": false, "ports": ["9-8"]}}',
        '{"tiny": {"cpus": 1, "memory_mib": 1, "disk_gib": 1, "sudo": false}}',
    ],
)
def test_bad_sizes_stop_the_start_naming_the_variable(raw):
    with pytest.raises(ValueError, match="PANEL_SERVER_SIZES"):
        settings_from_env({"PANEL_SERVER_SIZES": raw})


def test_allocation_is_approve_or_auto():
    with pytest.raises(ValueError, match="PANEL_SERVER_ALLOCATION"):
        settings_from_env({"PANEL_SERVER_ALLOCATION": "sometimes"})


def test_the_default_sizes(app):
    assert set(app.config["SERVER_SIZES"]) == {"small", "medium", "large"}
    assert app.config["SERVER_SIZES"]["small"]["sudo"] is False
