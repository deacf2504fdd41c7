"""Configuration from PANEL_* variables, and the instance folder's private files."""

import stat
from decimal import Decimal
from pathlib import Path

import pytest

from panel.config import DEFAULTS, build_config, instance_path, settings_from_env


def test_variables_map_to_config_keys():
    settings = settings_from_env(
        {
            "PANEL_DATABASE_URL": "postgresql+psycopg://panel@127.0.0.1/panel",
            "PANEL_REDIS_URL": "redis://127.0.0.1:6379/0",
            "PANEL_PROMETHEUS_URL": "http://127.0.0.1:9090",
            "PANEL_SMTP_URL": "smtp://127.0.0.1:25",
            "PANEL_SECRET_KEY": "from-the-environment",
            "PANEL_METERING_INTERVAL": "600",
            "PANEL_PROXY_COUNT": " 1 ",
            "PANEL_SHARE_VALUE": "50.00",
            "PANEL_NOT_A_SETTING": "ignored",
            "DATABASE_URL": "no prefix, ignored",
        }
    )
    assert settings["DATABASE_URL"] == "postgresql+psycopg://panel@127.0.0.1/panel"
    assert settings["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert settings["PROMETHEUS_URL"] == "http://127.0.0.1:9090"
    assert settings["SMTP_URL"] == "smtp://127.0.0.1:25"
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert settings["METERING_INTERVAL"] == 600
    assert settings["PROXY_COUNT"] == 1
    assert settings["SHARE_VALUE"] == Decimal("50.00")
    assert isinstance(settings["SHARE_VALUE"], Decimal)
    assert "NOT_A_SETTING" not in settings


def test_defaults_without_variables():
    settings = settings_from_env({})
    assert settings["DATABASE_URL"] is None
    assert settings["METERING_INTERVAL"] == 3600
    assert settings["SHARE_VALUE"] == Decimal("64.00")
    assert "SECRET_KEY" not in settings
    # An empty variable counts as unset.
    assert settings_from_env({"PANEL_METERING_INTERVAL": ""}) == settings
    assert settings == {key: DEFAULTS[key] for key in DEFAULTS}


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("PANEL_METERING_INTERVAL", "hourly"),
        ("PANEL_PROXY_COUNT", "1.5"),
        ("PANEL_SHARE_VALUE", "sixty-four"),
        ("PANEL_SHARE_VALUE", "NaN"),
        ("PANEL_ANSIBLE_STRATEGY", "mitogen"),
        ("PANEL_TIMEZONE", "Mars/Olympus_Mons"),
    ],
)
def test_bad_values_name_the_variable(name, raw):
    with pytest.raises(ValueError, match=name):
        settings_from_env({name: raw})


def test_instance_folder_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PANEL_INSTANCE", str(tmp_path / "here"))
    assert instance_path() == (tmp_path / "here").resolve()
    monkeypatch.delenv("PANEL_INSTANCE")
    monkeypatch.chdir(tmp_path)
    assert instance_path() == (tmp_path / "instance").resolve()


def test_environment_reaches_build_config(monkeypatch, tmp_path):
    monkeypatch.setenv("PANEL_METERING_INTERVAL", "120")
    monkeypatch.setenv("PANEL_SECRET_KEY", "env-secret")
    config = build_config({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})
    assert config["METERING_INTERVAL"] == 120
    assert config["SECRET_KEY"] == "env-secret"
    # Explicit overrides win over the environment.
    config = build_config({"INSTANCE_PATH": str(tmp_path), "METERING_INTERVAL": 60})
    assert config["METERING_INTERVAL"] == 60


@pytest.mark.parametrize("interval", [0, -60, 7, 7200 * 7, 86401])
def test_a_metering_period_must_divide_a_day(tmp_path, interval):
    # Otherwise a period could straddle two days, and two billing months.
    with pytest.raises(ValueError, match="PANEL_METERING_INTERVAL"):
        build_config({"INSTANCE_PATH": str(tmp_path), "METERING_INTERVAL": interval})


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_database_is_private_sqlite_in_instance_folder(monkeypatch, tmp_path, make_app):
    monkeypatch.delenv("PANEL_DATABASE_URL", raising=False)
    monkeypatch.delenv("PANEL_SECRET_KEY", raising=False)
    folder = tmp_path / "instance"
    config = build_config({"INSTANCE_PATH": str(folder)})
    database = folder / "panel.db"
    assert config["DATABASE_URL"] == f"sqlite:///{database}"
    assert config["SQLALCHEMY_DATABASE_URI"] == config["DATABASE_URL"]
    assert _mode(folder) == 0o700
    assert _mode(database) == 0o600
    assert _mode(folder / "secret_key") == 0o600
    assert config["SECRET_KEY"] == (folder / "secret_key").read_text().strip()
    assert build_config({"INSTANCE_PATH": str(folder)})["SECRET_KEY"] == config["SECRET_KEY"]

    from panel.core.migrate import upgrade

    upgrade(config["DATABASE_URL"])
    assert make_app(config["DATABASE_URL"]).test_client().get("/healthz").status_code == 200
    # SQLite's journal files hold the same data and must be as private as the database.
    files = sorted(folder.glob("panel.db*"))
    assert database in files
    assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}


def test_embedded_queue_is_private_in_instance_folder(tmp_path):
    from panel.core.queue import make_queue

    queue = make_queue({"INSTANCE_PATH": str(tmp_path), "REDIS_URL": None})

    @queue.task()
    def remember(value):
        return value

    remember("job 1")
    assert queue.pending_count() == 1
    files = sorted(tmp_path.glob("queue.db*"))
    assert tmp_path / "queue.db" in files
    assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}


def test_ansible_strategy_reaches_the_jobs_ansible(app):
    from panel.provisioning.runner import ansible_env

    playbooks = Path(app.config["PLAYBOOKS_DIR"])
    with app.app_context():
        assert "ANSIBLE_STRATEGY" not in ansible_env(playbooks)
        app.config["ANSIBLE_STRATEGY"] = settings_from_env({"PANEL_ANSIBLE_STRATEGY": "linear"})[
            "ANSIBLE_STRATEGY"
        ]
        try:
            assert ansible_env(playbooks)["ANSIBLE_STRATEGY"] == "linear"
        finally:
            app.config["ANSIBLE_STRATEGY"] = ""
