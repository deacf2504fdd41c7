"""The host that runs BBBLB, the BigBlueButton load balancer: its maintenance action (bbblb.yml)
with the variables it takes from the panel's settings, and the secret it is given."""

import hashlib
import hmac
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from panel.hosts.targets import agent_token
from panel.provisioning.actions import Action


def balancer_secret(host_name: str) -> str:
    """BBBLB's own secret on HOST_NAME (it signs BBBLB's management tokens): an HMAC of the
    name keyed with the panel's secret, so it is never stored and differs per host."""
    secret = current_app.config["SECRET_KEY"].encode()
    message = f"panel-bbblb-secret:{host_name}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _file_text(setting: str) -> str:
    """The content of the file the setting names; empty when the setting is."""
    path = current_app.config[setting]
    return Path(path).read_text() if path else ""


def balancer_variables(_hosts: list[str]) -> dict:
    """What bbblb.yml takes from the panel's settings, read when the job is created."""
    config = current_app.config
    return {
        "bbblb_domain": config["VIDEO_DOMAIN"],
        "bbblb_wheel_dir": config["BBBLB_WHEELS"],
        "bbblb_tls_certificate": _file_text("VIDEO_TLS_CERTIFICATE"),
        "bbblb_trusted_ca": _file_text("BBB_TRUSTED_CA"),
        "bbblb_poll_interval": config["BBBLB_POLL_INTERVAL"],
    }


def _key_text() -> str:
    """The certificate's key; empty when it cannot be read, which bbblb.yml then reports (an
    exception here would keep the job from ending at all)."""
    try:
        return _file_text("VIDEO_TLS_KEY")
    except OSError:
        return ""


def balancer_secrets(hosts: list[str]) -> dict:
    """Made when the job runs and never stored: each host's BBBLB secret and agent token, and
    the certificate's key (read then, so that the job keeps no copy of it)."""
    return {
        "bbblb_secrets": {host: balancer_secret(host) for host in hosts},
        "agent_tokens": {host: agent_token(host) for host in hosts},
        "bbblb_tls_key": _key_text(),
    }


BALANCER_ACTION = Action(
    "bbblb",
    "bbblb.yml",
    True,
    _l("Install or update BBBLB, the BigBlueButton load balancer"),
    secrets=balancer_secrets,
    variables=balancer_variables,
)
