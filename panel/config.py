"""Settings from the environment (prefix PANEL_) and the instance folder."""

import ipaddress
import json
import math
import os
import re
import secrets
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytz

# How long a password reset link is valid. A name, not a number, in DEFAULTS: bandit (B105)
# takes any constant under a key that says PASSWORD for a password, and a nosec inside the
# literal would be reported for each of its other lines.
PASSWORD_RESET_HOURS = 2

DEFAULTS: dict[str, object] = {
    "DATABASE_URL": None,
    "REDIS_URL": None,
    "PROMETHEUS_URL": None,
    # Metering: the ledger's period in seconds; how long after a period's end Prometheus is
    # read (so its last scrapes are in); how far apart samples may be before the time between
    # them is a gap (Prometheus' staleness); how many missed periods one collection catches up.
    "METERING_INTERVAL": 3600,
    "METERING_DELAY": 60,
    "METERING_GAP_SECONDS": 300,
    "METERING_CATCH_UP": 168,
    # Where the panel writes Prometheus' file_sd targets (hosts.json, panel.json); unset: the
    # local Prometheus' folder in the instance folder. PROMETHEUS_LISTEN: the local one's address.
    "MONITORING_TARGETS_DIR": "",
    "PROMETHEUS_LISTEN": "127.0.0.1:9099",
    # The hosts' firewall (the base job): addresses or networks that may use SSH besides the one
    # the panel's connection comes from, and those Prometheus scrapes the hosts from (empty:
    # the panel's connection's, where `panel run` and the panel role run it).
    "MANAGEMENT_ADDRESSES": (),
    "MONITORING_ADDRESSES": (),
    "SMTP_URL": None,
    "MAIL_FROM": "panel@localhost",
    "SHARE_VALUE": Decimal("64.00"),
    # The statute's notice on shares and on membership: it takes effect at the end of the
    # first fiscal year that ends at least SHARE_NOTICE_YEARS after the notice (0: the end of
    # the current one). The fiscal year is the calendar year unless FISCAL_YEAR_END ("MM-DD",
    # its last day) says otherwise. SHARE_MINIMUM: the shares a member holds while a member.
    "SHARE_NOTICE_YEARS": 2,
    "SHARE_MINIMUM": 1,
    "FISCAL_YEAR_END": "12-31",
    "METRICS_ALLOW": "127.0.0.1/8,::1/128",
    "PROXY_COUNT": 0,
    "LANGUAGES": ("de", "en"),
    # The time zone pages show times in for people who chose none on their account page.
    "TIMEZONE": "Europe/Berlin",
    "LOGIN_LIMIT": "10 per 15 minutes",
    # An API token's last use is written when it is older than this (seconds): not on every call.
    "LAST_USE_WRITE_SECONDS": 300,
    "BASE_URL": "http://localhost:5000",
    "PASSWORD_RESET_HOURS": PASSWORD_RESET_HOURS,
    "PLAYBOOKS_DIR": str(Path(__file__).resolve().parent.parent / "playbooks"),
    "MONITORING_DIR": str(Path(__file__).resolve().parent.parent / "monitoring"),
    "JOB_TIMEOUT": 1800,
    # Ansible's strategy for jobs: "" keeps playbooks/ansible.cfg's (mitogen_linear); "linear"
    # runs them without mitogen.
    "ANSIBLE_STRATEGY": "",
    "JOB_HEARTBEAT": 5,
    "JOB_LOST_AFTER": 30,
    "WORKER_THREADS": 4,
    # Webspaces: what a new one may hold, and how long a deleted one stays restorable.
    "WEBSPACE_MAX_DOMAINS": 10,
    "WEBSPACE_MAX_DATABASES": 5,
    "WEBSPACE_MAX_USERS": 5,
    "WEBSPACE_QUOTA_MIB": 10240,
    "WEBSPACE_ARCHIVE_DAYS": 30,
    # Managed servers: the sizes a reseller chooses from (JSON, see server_sizes), the shares
    # a member holds per server it runs, whether an admin approves each request ("approve") or
    # a free pool host is allocated at once ("auto"), and how long a released server's archive
    # is kept.
    "SERVER_SIZES": None,
    "SERVER_SHARES_PER_SERVER": 2,
    "SERVER_ALLOCATION": "approve",
    "SERVER_ARCHIVE_DAYS": 30,
    # TLS: the ACME server hosts get certificates from (Let's Encrypt's staging server is
    # https://acme-staging-v02.api.letsencrypt.org/directory), an account email, and a CA file
    # the hosts must trust to reach it (only for a test server such as Pebble).
    "ACME_DIRECTORY_URL": "https://acme-v02.api.letsencrypt.org/directory",
    "ACME_EMAIL": "",
    "ACME_CA_FILE": "",
    "TLS_RETRY_SECONDS": 3600,
    # Certificates the panel last saw ending within this many days are checked on their host.
    "TLS_CHECK_DAYS": 28,
    # Domains: "on" asks members for a DNS TXT record before a domain goes live; names below
    # OWN_ZONE (the cooperative's own zone) need none. DNS_RESOLVER (address[:port]) answers
    # the check instead of the system's resolver.
    "DOMAIN_VERIFICATION": "on",
    "OWN_ZONE": "",
    "DNS_RESOLVER": "",
    # Video rooms: the name BBBLB (the BigBlueButton load balancer) is reached by, with its
    # tenants' realms below it; the folder of BBBLB's wheels for its host (tests/bbblb_wheels.py
    # fetches them); the files of the certificate for that name and every name below it and of
    # its key; a file of CAs the balancer trusts for its BBB servers (optional); and the seconds
    # between the balancer's polls of its servers.
    "VIDEO_DOMAIN": "",
    "BBBLB_WHEELS": "",
    "VIDEO_TLS_CERTIFICATE": "",
    "VIDEO_TLS_KEY": "",
    "BBB_TRUSTED_CA": "",
    "BBBLB_POLL_INTERVAL": 30,
    # What the panel itself needs of video: a CA file it trusts for BBBLB's and the BBB servers'
    # HTTPS (only for a private CA, as in tests), its checksum algorithm for BBB API calls, and
    # how many rooms a member may have.
    "VIDEO_CA_FILE": "",
    "VIDEO_CHECKSUM": "sha256",
    "VIDEO_MAX_ROOMS": 50,
    # Billing: the cooperative as seller on invoices and creditor of direct debits, and the VAT
    # rate a new billing period starts with.
    "VAT_PERCENT": Decimal("19.00"),
    # COOP_NAME also heads every page, beside the logo: LOGO, the path of an image file
    # (PNG, SVG, ...) the panel serves at /logo; empty: the name alone.
    "COOP_NAME": "Hosting-Genossenschaft eG",
    "LOGO": "",
    "COOP_STREET": "",
    "COOP_POSTAL_CODE": "",
    "COOP_CITY": "",
    "COOP_COUNTRY": "DE",
    "COOP_VAT_ID": "",
    "COOP_EMAIL": "billing@localhost",
    "COOP_IBAN": "",
    "COOP_BIC": "",
    "SEPA_CREDITOR_ID": "",
    # Resolutions: how many principals one member may represent as proxy (0: no proxies), and
    # how many supporters an amendment needs by default to be put to the vote.
    "GOVERNANCE_PROXIES_PER_MEMBER": 1,
    "GOVERNANCE_MIN_SUPPORTERS": 3,
    # The largest PDF the board may attach to a resolution, in MiB.
    "GOVERNANCE_ATTACHMENT_MB": 10,
}


def address_list(raw: str) -> tuple[str, ...]:
    """Comma-separated IPv4 or IPv6 addresses or networks, each in its canonical spelling."""
    found = []
    for part in (item.strip() for item in raw.split(",")):
        if part:
            found.append(
                str(
                    ipaddress.ip_network(part, strict=False)
                    if "/" in part
                    else ipaddress.ip_address(part)
                )
            )
    return tuple(dict.fromkeys(found))


# Ansible's own strategies and the mitogen one in playbooks/strategy_plugins/.
ANSIBLE_STRATEGIES = ("linear", "free", "mitogen_linear")


def ansible_strategy(raw: str) -> str:
    """One of ANSIBLE_STRATEGIES."""
    if raw not in ANSIBLE_STRATEGIES:
        raise ValueError(f"not one of {', '.join(ANSIBLE_STRATEGIES)}")
    return raw


# Each size: CPUs, memory in MiB, disk in GiB, whether its users may have sudo, and the ports
# (numbers or ranges "8000-8099") its firewall may open besides SSH and the web stack's.
DEFAULT_SERVER_SIZES = """{
  "small": {"cpus": 1, "memory_mib": 2048, "disk_gib": 40, "sudo": false,
            "ports": ["8000-8999"]},
  "medium": {"cpus": 2, "memory_mib": 4096, "disk_gib": 80, "sudo": true,
             "ports": ["1024-65535"]},
  "large": {"cpus": 4, "memory_mib": 8192, "disk_gib": 160, "sudo": true,
            "ports": ["1-65535"]}
}"""
SIZE_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
SIZE_NUMBERS = ("cpus", "memory_mib", "disk_gib")
SERVER_ALLOCATIONS = ("approve", "auto")


def _port_range(text: object) -> list[int]:
    """A port (22, "22") or a range ("8000-8099") as [lowest, highest] within 1-65535."""
    parts = str(text).split("-") if not isinstance(text, bool) else []
    if not 1 <= len(parts) <= 2 or not all(part.strip().isdigit() for part in parts):
        raise ValueError(f"not a port or a range of ports: {text!r}")
    low, high = int(parts[0]), int(parts[-1])
    if not 1 <= low <= high <= 65535:
        raise ValueError(f"ports run from 1 to 65535, lowest first: {text!r}")
    return [low, high]


def server_sizes(raw: str) -> dict[str, dict]:
    """The sizes of managed servers from their JSON (see DEFAULT_SERVER_SIZES), checked: each
    name's CPUs, memory_mib and disk_gib positive whole numbers, sudo true or false, ports a
    list of ports and ranges (kept as [lowest, highest] pairs)."""
    try:
        given = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(given, dict) or not given:
        raise ValueError("a JSON object of sizes by name")
    sizes = {}
    for name, size in given.items():
        if not SIZE_NAME.fullmatch(name) or not isinstance(size, dict):
            raise ValueError(f"a size is a lowercase name with an object: {name!r}")
        if set(size) != {*SIZE_NUMBERS, "sudo", "ports"}:
            raise ValueError(f"size {name}: cpus, memory_mib, disk_gib, sudo and ports")
        numbers = {key: size[key] for key in SIZE_NUMBERS}
        if any(
            isinstance(value, bool) or not isinstance(value, int) or value < 1
            for value in numbers.values()
        ):
            raise ValueError(f"size {name}: cpus, memory_mib and disk_gib are positive numbers")
        if not isinstance(size["sudo"], bool) or not isinstance(size["ports"], list):
            raise ValueError(f"size {name}: sudo is true or false, ports a list")
        ports = [_port_range(item) for item in size["ports"]]
        sizes[name] = {**numbers, "sudo": size["sudo"], "ports": ports}
    return sizes


def server_allocation(raw: str) -> str:
    """One of SERVER_ALLOCATIONS."""
    if raw not in SERVER_ALLOCATIONS:
        raise ValueError(f"not one of {', '.join(SERVER_ALLOCATIONS)}")
    return raw


CHECKSUM_ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")


def checksum_algorithm(raw: str) -> str:
    """One of CHECKSUM_ALGORITHMS, the BBB API's."""
    if raw not in CHECKSUM_ALGORITHMS:
        raise ValueError(f"not one of {', '.join(CHECKSUM_ALGORITHMS)}")
    return raw


def timezone_name(raw: str) -> str:
    """An IANA time zone name that Flask-Babel (through pytz) knows, such as Europe/Berlin."""
    if raw not in pytz.all_timezones_set:
        raise ValueError(f"not a time zone: {raw!r}")
    return raw


def fiscal_year_end(raw: str) -> str:
    """A fiscal year's last day as MM-DD; not 02-29, which most years lack."""
    try:
        day = datetime.strptime(f"2001-{raw}", "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"not a day of the year as MM-DD: {raw!r}") from None
    return day.strftime("%m-%d")


def not_negative(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(f"must not be negative: {raw!r}")
    return value


CASTS = {
    "MANAGEMENT_ADDRESSES": address_list,
    "MONITORING_ADDRESSES": address_list,
    "METERING_INTERVAL": int,
    "METERING_DELAY": int,
    "METERING_GAP_SECONDS": int,
    "METERING_CATCH_UP": int,
    "PROXY_COUNT": int,
    "PASSWORD_RESET_HOURS": int,
    "LAST_USE_WRITE_SECONDS": int,
    "JOB_TIMEOUT": int,
    "ANSIBLE_STRATEGY": ansible_strategy,
    "JOB_HEARTBEAT": float,
    "JOB_LOST_AFTER": float,
    "WORKER_THREADS": int,
    "WEBSPACE_MAX_DOMAINS": int,
    "WEBSPACE_MAX_DATABASES": int,
    "WEBSPACE_MAX_USERS": int,
    "WEBSPACE_QUOTA_MIB": int,
    "WEBSPACE_ARCHIVE_DAYS": int,
    "SERVER_SIZES": server_sizes,
    "SERVER_SHARES_PER_SERVER": int,
    "SERVER_ALLOCATION": server_allocation,
    "SERVER_ARCHIVE_DAYS": int,
    "VIDEO_MAX_ROOMS": int,
    "VIDEO_CHECKSUM": checksum_algorithm,
    "TLS_RETRY_SECONDS": int,
    "BBBLB_POLL_INTERVAL": int,
    "TLS_CHECK_DAYS": int,
    "SHARE_VALUE": Decimal,
    "SHARE_NOTICE_YEARS": not_negative,
    "SHARE_MINIMUM": not_negative,
    "FISCAL_YEAR_END": fiscal_year_end,
    "VAT_PERCENT": Decimal,
    "TIMEZONE": timezone_name,
    "GOVERNANCE_PROXIES_PER_MEMBER": int,
    "GOVERNANCE_MIN_SUPPORTERS": int,
    "GOVERNANCE_ATTACHMENT_MB": int,
}


def instance_path() -> Path:
    """The instance folder: PANEL_INSTANCE, else ./instance."""
    return Path(os.environ.get("PANEL_INSTANCE") or Path.cwd() / "instance").resolve()


def settings_from_env(environ: dict[str, str] | None = None) -> dict[str, object]:
    """PANEL_* variables as PANEL_-less config keys, cast to their types."""
    environ = dict(os.environ if environ is None else environ)
    result = dict(DEFAULTS)
    for key in DEFAULTS:
        raw = environ.get(f"PANEL_{key}")
        if raw is not None and raw != "":
            result[key] = _cast(key, raw)
    if environ.get("PANEL_SECRET_KEY"):
        result["SECRET_KEY"] = environ["PANEL_SECRET_KEY"]
    return result


def _cast(key: str, raw: str) -> object:
    """The variable's value in its type; a bad value stops the start naming the variable."""
    cast = CASTS.get(key, str)
    if cast is str:
        return raw
    try:
        value = cast(raw.strip())
    except (ValueError, ArithmeticError) as exc:  # Decimal raises an ArithmeticError
        raise ValueError(f"PANEL_{key} is not a valid {cast.__name__}: {raw!r}") from exc
    if isinstance(value, Decimal):
        finite = value.is_finite()
    else:
        finite = not isinstance(value, float) or math.isfinite(value)
    if not finite:
        raise ValueError(f"PANEL_{key} is not a finite number: {raw!r}")
    return value


def write_private_file(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only (mode 0600) from the first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def load_or_create_secret(folder: Path) -> str:
    """The instance secret, made on first use."""
    path = folder / "secret_key"
    if not path.exists():
        write_private_file(path, secrets.token_urlsafe(48).encode())
    return path.read_text().strip()


def build_config(overrides: dict | None = None) -> dict[str, object]:
    """The whole configuration: defaults, environment, then explicit overrides."""
    config = settings_from_env()
    config.update(overrides or {})
    folder = Path(str(config.get("INSTANCE_PATH") or instance_path()))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    config["INSTANCE_PATH"] = str(folder)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = load_or_create_secret(folder)
    if not config.get("DATABASE_URL"):
        database = folder / "panel.db"
        if not database.exists():
            write_private_file(database, b"")
        config["DATABASE_URL"] = f"sqlite:///{database}"
    interval = config["METERING_INTERVAL"]
    # A period never straddles two days, so it never straddles two billing months.
    if not isinstance(interval, int) or interval < 1 or 86400 % interval:
        raise ValueError(f"PANEL_METERING_INTERVAL must divide a day (86400 s): {interval!r}")
    if config.get("SERVER_SIZES") is None:
        config["SERVER_SIZES"] = server_sizes(DEFAULT_SERVER_SIZES)
    if not config.get("MONITORING_TARGETS_DIR"):
        config["MONITORING_TARGETS_DIR"] = str(folder / "prometheus" / "targets")
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["REMEMBER_COOKIE_HTTPONLY"] = True
    config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    config["WTF_CSRF_TIME_LIMIT"] = None
    config["BABEL_DEFAULT_LOCALE"] = "en"
    config["BABEL_DEFAULT_TIMEZONE"] = config["TIMEZONE"]
    config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    config["RATELIMIT_STORAGE_URI"] = config.get("REDIS_URL") or "memory://"
    config["RATELIMIT_HEADERS_ENABLED"] = True
    config.setdefault("API_TITLE", "Cooperative hosting panel")
    config.setdefault("API_VERSION", "v1")
    config.setdefault("OPENAPI_VERSION", "3.0.3")
    config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    return config
