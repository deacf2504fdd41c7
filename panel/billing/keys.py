"""Each member's usage of an allocation key in a billing month, in the unit it is billed in:
ledger meters summed from the usage ledger (the only usage billing reads), counts weighted by
the part of the month each thing existed. The managed servers' meters are also told per server,
so that each server gets a line of its own."""

from collections import defaultdict
from datetime import UTC, date, datetime, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from panel.billing.models import PoolKey
from panel.coop.models import Member
from panel.extensions import db
from panel.metering.models import UsageRecord
from panel.webspaces.models import Domain, State, Webspace

QUANTUM = Decimal("0.000001")
# Ledger meters: the divisor from the ledger's unit to the billed one, and the billed unit.
METERED = {
    PoolKey.TRAFFIC: (Decimal(10) ** 9, "GB"),
    PoolKey.REQUESTS: (Decimal(1), "requests"),
    PoolKey.CPU: (Decimal(3600), "h"),
    PoolKey.DISK: (Decimal(10) ** 9, "GB·h"),
    PoolKey.DATABASE_DISK: (Decimal(10) ** 9, "GB·h"),
    PoolKey.SERVER_HOURS: (Decimal(3600), "h"),
    PoolKey.SERVER_CPU: (Decimal(3600), "h"),
    PoolKey.SERVER_MEMORY: (Decimal(10) ** 9, "GB·h"),
    PoolKey.SERVER_DISK: (Decimal(10) ** 9, "GB·h"),
    PoolKey.VIDEO_PARTICIPANTS: (Decimal(60), "participant-min"),
}
PER_SERVER = (
    PoolKey.SERVER_HOURS,
    PoolKey.SERVER_CPU,
    PoolKey.SERVER_MEMORY,
    PoolKey.SERVER_DISK,
)
COUNTED_UNITS = {
    PoolKey.WEBSPACES: "webspaces",
    PoolKey.DOMAINS: "domains",
    PoolKey.MEMBERS: "members",
}
LABELS = {
    PoolKey.TRAFFIC: _l("traffic"),
    PoolKey.REQUESTS: _l("requests"),
    PoolKey.CPU: _l("CPU time"),
    PoolKey.DISK: _l("disk space"),
    PoolKey.DATABASE_DISK: _l("database space"),
    PoolKey.SERVER_HOURS: _l("managed server time"),
    PoolKey.SERVER_CPU: _l("managed server CPU time"),
    PoolKey.SERVER_MEMORY: _l("managed server memory"),
    PoolKey.SERVER_DISK: _l("managed server disk space"),
    PoolKey.VIDEO_PARTICIPANTS: _l("video participant minutes"),
    PoolKey.WEBSPACES: _l("webspaces"),
    PoolKey.DOMAINS: _l("domains"),
    PoolKey.MEMBERS: _l("members"),
}

# How a pool is shared out, as a whole phrase: the key's noun takes a case of its own in German
# ("nach Mitgliedern verteilt").
SHARED_BY = {
    PoolKey.TRAFFIC: _l("shared out by traffic"),
    PoolKey.REQUESTS: _l("shared out by requests"),
    PoolKey.CPU: _l("shared out by CPU time"),
    PoolKey.DISK: _l("shared out by disk space"),
    PoolKey.DATABASE_DISK: _l("shared out by database space"),
    PoolKey.SERVER_HOURS: _l("shared out by managed server time"),
    PoolKey.SERVER_CPU: _l("shared out by managed server CPU time"),
    PoolKey.SERVER_MEMORY: _l("shared out by managed server memory"),
    PoolKey.SERVER_DISK: _l("shared out by managed server disk space"),
    PoolKey.VIDEO_PARTICIPANTS: _l("shared out by video participant minutes"),
    PoolKey.WEBSPACES: _l("shared out by webspaces"),
    PoolKey.DOMAINS: _l("shared out by domains"),
    PoolKey.MEMBERS: _l("shared out by members"),
}
# Units that are words, as a quantity's unit ("0.87 members") and after a price's slash
# ("45.93 €/member"); symbols (GB, h, GB·h) read the same in every language.
UNIT_WORDS = {
    "requests": _l("requests"),
    "participant-min": _l("participant minutes"),
    "members": _l("members"),
    "webspaces": _l("webspaces"),
    "domains": _l("domains"),
    "month": _l("month"),
}
PER_UNIT_WORDS = {
    "requests": _l("request"),
    "participant-min": _l("participant minute"),
    "members": _l("member"),
    "webspaces": _l("webspace"),
    "domains": _l("domain"),
    "month": _l("month"),
}


def unit_word(unit: str) -> str:
    return str(UNIT_WORDS.get(unit, unit))


def per_unit_word(unit: str) -> str:
    return str(PER_UNIT_WORDS.get(unit, unit))


def shared_by(key: str) -> str:
    return str(SHARED_BY.get(key, key))


def unit(key: str) -> str:
    return METERED[key][1] if key in METERED else COUNTED_UNITS[key]


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime.combine(month.replace(day=1), time(), tzinfo=UTC)
    following = (month.replace(day=28) + (date(2000, 1, 31) - date(2000, 1, 1))).replace(day=1)
    return start, datetime.combine(following, time(), tzinfo=UTC)


def usage(key: str, month: date) -> dict[int, Decimal]:
    """Member id → usage of the key in the month (members without usage left out)."""
    start, end = month_bounds(month)
    if key in METERED:
        divisor, _ = METERED[key]
        rows = db.session.execute(
            select(UsageRecord.member_id, func.sum(UsageRecord.quantity))
            .where(
                UsageRecord.metric == key,
                UsageRecord.period_start >= start,
                UsageRecord.period_start < end,
            )
            .group_by(UsageRecord.member_id)
        )
        # Not rounded: the shares are computed from these; lines show them to six places.
        found = {member: Decimal(total) / divisor for member, total in rows}
    else:
        found = _counted(key, start, end)
    return {member: value for member, value in found.items() if value > 0}


def server_usage(key: str, month: date) -> dict[tuple[int, int, str], Decimal]:
    """(member id, server id, server name) → usage of a server meter in the month."""
    start, end = month_bounds(month)
    divisor, _ = METERED[key]
    rows = db.session.execute(
        select(
            UsageRecord.member_id,
            UsageRecord.server_id,
            UsageRecord.resource_name,
            func.sum(UsageRecord.quantity),
        )
        .where(
            UsageRecord.metric == key,
            UsageRecord.period_start >= start,
            UsageRecord.period_start < end,
        )
        .group_by(UsageRecord.member_id, UsageRecord.server_id, UsageRecord.resource_name)
        .order_by(UsageRecord.server_id)
    )
    found = {
        (member, server, name): Decimal(total) / divisor for member, server, name, total in rows
    }
    return {payer: value for payer, value in found.items() if value > 0}


def _counted(key: str, start: datetime, end: datetime) -> dict[int, Decimal]:
    if key == PoolKey.WEBSPACES:
        rows = db.session.execute(
            select(Webspace.member_id, Webspace.created_at, Webspace.deleted_at).where(
                Webspace.state.not_in((State.PENDING, State.FAILED)) | Webspace.uid.is_not(None)
            )
        )
    elif key == PoolKey.DOMAINS:
        rows = (
            (member, created, None)
            for member, created in db.session.execute(
                select(Domain.member_id, Domain.created_at).where(
                    Domain.state.in_((State.ACTIVE, State.SUSPENDED))
                )
            )
        )
    else:
        rows = (
            (member.id, _midnight(member.admitted_on), _midnight(member.ended_on))
            for member in db.session.scalars(select(Member).where(Member.admitted_on.is_not(None)))
        )
    month = Decimal((end - start).total_seconds())
    result: dict[int, Decimal] = defaultdict(Decimal)
    for member, began, ended in rows:
        overlap = (min(ended or end, end) - max(began, start)).total_seconds()
        if overlap > 0:
            result[member] += Decimal(overlap) / month
    return {member: value.quantize(QUANTUM) for member, value in result.items()}


def _midnight(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), tzinfo=UTC) if day else None
