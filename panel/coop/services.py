"""The services a member uses, as the features that run them report them: what must end before
the member may leave, and the shares what runs needs. The features add theirs with add_service,
so that the cooperative's rules need not know webspaces, servers or video."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from panel.coop.models import Member


@dataclass(frozen=True)
class Service:
    """RUNNING gives the names of the member's services of this KIND that have not ended;
    SHARES_NEEDED (if the kind needs shares) the shares they need together."""

    kind: object
    running: Callable[[Member], list[str]]
    shares_needed: Callable[[Member], int] | None = None


def add_service(app: Flask, service: Service) -> None:
    app.extensions.setdefault("member_services", []).append(service)


def _services() -> list[Service]:
    return current_app.extensions.get("member_services", [])


def running_services(member: Member) -> list[tuple[object, list[str]]]:
    """Each kind of service the member still runs, with the names of what runs."""
    found = []
    for service in _services():
        names = service.running(member)
        if names:
            found.append((service.kind, names))
    return found


def shares_needed_by_kind(member: Member) -> list[tuple[object, int]]:
    """Each kind of service whose running ones need shares, with how many."""
    needs = (
        (service.kind, service.shares_needed(member))
        for service in _services()
        if service.shares_needed
    )
    return [(kind, needed) for kind, needed in needs if needed]


def shares_needed(member: Member) -> int:
    """The shares the member's services need together."""
    return sum(needed for _, needed in shares_needed_by_kind(member))
