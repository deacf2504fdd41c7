"""The panel's side of the BBBLB host: its secret, derived per host and never stored, and the
maintenance action that installs BBBLB with the panel's video settings."""

import hashlib
import hmac
import re

import pytest

from panel.config import settings_from_env
from panel.extensions import db
from panel.hosts.targets import agent_token
from panel.provisioning.actions import ACTIONS, register
from panel.provisioning.models import Job
from panel.provisioning.operations import run_maintenance
from panel.video.balancer import BALANCER_ACTION, balancer_secret

CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n"
CA = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"


@pytest.fixture
def balancer_action():
    """The action registered as the video feature registers it, and gone again afterwards."""
    register(BALANCER_ACTION)
    yield BALANCER_ACTION
    ACTIONS.pop(BALANCER_ACTION.name, None)


@pytest.fixture
def video_settings(app, tmp_path):
    files = {"VIDEO_TLS_CERTIFICATE": CERTIFICATE, "VIDEO_TLS_KEY": KEY, "BBB_TRUSTED_CA": CA}
    settings = {"VIDEO_DOMAIN": "video.test", "BBBLB_WHEELS": str(tmp_path / "wheels")}
    for name, text in files.items():
        path = tmp_path / f"{name.lower()}.pem"
        path.write_text(text)
        settings[name] = str(path)
    before = {name: app.config[name] for name in settings}
    app.config.update(settings)
    yield settings
    app.config.update(before)


def test_each_balancer_has_its_own_secret_derived_from_the_panels_secret(app):
    secret = app.config["SECRET_KEY"]
    first = balancer_secret("lb1")
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert first == hmac.new(secret.encode(), b"panel-bbblb-secret:lb1", hashlib.sha256).hexdigest()
    assert first != balancer_secret("lb2")
    assert first != agent_token("lb1")


def test_the_video_settings_come_from_the_environment():
    settings = settings_from_env(
        {
            "PANEL_VIDEO_DOMAIN": "video.coop.example",
            "PANEL_BBBLB_WHEELS": "/srv/bbblb-wheels",
            "PANEL_BBBLB_POLL_INTERVAL": "20",
        }
    )
    assert settings["VIDEO_DOMAIN"] == "video.coop.example"
    assert settings["BBBLB_WHEELS"] == "/srv/bbblb-wheels"
    assert settings["BBBLB_POLL_INTERVAL"] == 20
    assert settings_from_env({})["BBBLB_POLL_INTERVAL"] == 30
    with pytest.raises(ValueError, match="PANEL_BBBLB_POLL_INTERVAL"):
        settings_from_env({"PANEL_BBBLB_POLL_INTERVAL": "often"})


def test_the_job_keeps_the_settings_and_gets_the_secrets_only_when_it_runs(
    balancer_action, video_settings, make_host
):
    host = make_host("lb1").name
    job = run_maintenance("bbblb", [host])
    assert job.playbook == "bbblb.yml"
    assert job.extra_vars == {
        "bbblb_domain": "video.test",
        "bbblb_wheel_dir": video_settings["BBBLB_WHEELS"],
        "bbblb_tls_certificate": CERTIFICATE,
        "bbblb_trusted_ca": CA,
        "bbblb_poll_interval": 30,
    }
    assert balancer_action.secrets(job.hosts) == {
        "bbblb_secrets": {host: balancer_secret(host)},
        "agent_tokens": {host: agent_token(host)},
        "bbblb_tls_key": KEY,
    }
    stored = Job.__table__
    row = db.session.execute(stored.select().where(stored.c.id == job.id)).one()
    assert row.secret_vars is None
    assert balancer_secret(host) not in str(row.extra_vars)
    assert "PRIVATE KEY" not in str(row.extra_vars)


def test_without_a_trusted_ca_the_balancer_trusts_debians_alone(
    app, balancer_action, video_settings, make_host
):
    app.config["BBB_TRUSTED_CA"] = ""
    job = run_maintenance("bbblb", [make_host("lb1").name])
    assert job.extra_vars["bbblb_trusted_ca"] == ""


def test_an_unreadable_key_leaves_it_to_the_playbook_to_refuse(
    app, balancer_action, video_settings, tmp_path
):
    app.config["VIDEO_TLS_KEY"] = str(tmp_path / "missing.pem")
    assert balancer_action.secrets(["lb1"])["bbblb_tls_key"] == ""
