"""Debian releases the hosts may run, with the end of their regular security support (the
security team's, https://www.debian.org/security/faq and the release pages; LTS is not counted),
and a host's security state from the facts onboarding and the ping job gather."""

from dataclasses import dataclass
from datetime import date, datetime

from panel.core.models import utcnow


@dataclass(frozen=True)
class Release:
    codename: str
    version: str
    # The last day of regular security support; None while no end is announced.
    security_until: date | None

    @property
    def name(self) -> str:
        return f"Debian {self.version} {self.codename}"

    def supported(self, today: date) -> bool:
        return self.security_until is None or today <= self.security_until


RELEASES = {
    release.codename: release
    for release in (
        Release("buster", "10", date(2022, 6, 30)),
        Release("bullseye", "11", date(2024, 8, 14)),
        Release("bookworm", "12", date(2026, 6, 10)),
        Release("trixie", "13", None),
    )
}


@dataclass(frozen=True)
class SecurityState:
    """What the host page and the API show: the release, whether it still gets regular security
    updates (None: a release this table does not know), and the pending security upgrades at the
    last check (None: never checked)."""

    release: str
    codename: str
    supported: bool | None
    security_until: date | None
    pending_updates: int | None
    checked_at: datetime | None

    @property
    def current(self) -> bool | None:
        return None if self.pending_updates is None else self.pending_updates == 0


def security_state(facts: dict | None, today: date | None = None) -> SecurityState:
    facts = facts or {}
    codename = str(facts.get("release") or "")
    known = RELEASES.get(codename)
    pending = facts.get("security_updates")
    return SecurityState(
        release=known.name if known else str(facts.get("os") or ""),
        codename=codename,
        supported=known.supported(today or utcnow().date()) if known else None,
        security_until=known.security_until if known else None,
        pending_updates=pending if isinstance(pending, int) else None,
        checked_at=_moment(facts.get("security_checked_at")),
    )


def _moment(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
