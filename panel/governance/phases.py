"""Resolutions move through their phases on time: the periodic task calls advance() every
minute. Each step (a phase that opens, a mail that goes) is taken on the resolution's row locked
and re-read, and committed alone, so that two workers never take the same step twice. A
resolution whose phases were missed (the worker was down) catches up at once, and only the mail
of the phase it is now in goes out: no opening mail or reminder for a phase that is over.

The pages and the API do not wait for the task: before they show or act on a resolution they
bring its phase up to the clock (catch_up), so that a vote opens and closes on the minute; the
mails stay with the task."""

from datetime import datetime, timedelta

from flask_babel import LazyString, get_timezone
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from panel.core.audit import acting, record
from panel.core.formats import format_moment
from panel.core.models import utcnow
from panel.extensions import db
from panel.governance import operations
from panel.governance.models import (
    AmendmentSupport,
    ItemKind,
    ItemState,
    Phase,
    Resolution,
    ResolutionItem,
)
from panel.notifications.kinds import Kind
from panel.notifications.operations import notify_member

REMINDER_BEFORE = timedelta(days=1)
OPEN_PHASES = (Phase.ANNOUNCED, Phase.DISCUSSION, Phase.VOTING)


def advance(now: datetime | None = None) -> list[tuple[int, str]]:
    """Open and close what is due at NOW (default: the current time) and send the mails that
    are due; the (resolution id, phase) of every phase that opened."""
    now = now or utcnow()
    opened: list[tuple[int, str]] = []
    for resolution_id in db.session.scalars(_due_for_work()).all():
        while (phase := _move(resolution_id, now)) is not None:
            opened.append((resolution_id, phase))
        _send_due_mail(resolution_id, now)
    return opened


def catch_up(resolution: Resolution, now: datetime | None = None) -> Resolution:
    """The resolution in the phase the clock puts it in by NOW, each step taken and committed
    as the task takes it; no mail."""
    now = now or utcnow()
    if _behind(resolution, now):
        with acting("clock"):
            while _move(resolution.id, now) is not None:
                pass
        db.session.refresh(resolution)
    return resolution


def catch_up_all(now: datetime | None = None) -> None:
    """Every resolution the clock has moved on (for the lists)."""
    now = now or utcnow()
    behind = select(Resolution.id).where(
        or_(
            and_(Resolution.phase == Phase.ANNOUNCED, Resolution.discussion_from <= now),
            and_(Resolution.phase == Phase.DISCUSSION, Resolution.voting_from <= now),
            and_(Resolution.phase == Phase.VOTING, Resolution.voting_until <= now),
        )
    )
    with acting("clock"):
        for resolution_id in db.session.scalars(behind).all():
            while _move(resolution_id, now) is not None:
                pass


def _behind(resolution: Resolution, now: datetime) -> bool:
    return (
        (resolution.phase == Phase.ANNOUNCED and now >= resolution.discussion_from)
        or (resolution.phase == Phase.DISCUSSION and now >= resolution.voting_from)
        or (resolution.phase == Phase.VOTING and now >= resolution.voting_until)
    )


def _due_for_work():
    return (
        select(Resolution.id)
        .where(
            or_(
                Resolution.phase.in_(OPEN_PHASES),
                and_(Resolution.phase == Phase.CLOSED, Resolution.result_mail_at.is_(None)),
            )
        )
        .order_by(Resolution.id)
    )


def _locked(resolution_id: int) -> Resolution:
    """The resolution's row, locked until the commit and re-read (another worker may have
    taken the step meanwhile). SQLite has no row locks; there its one writer serialises."""
    return db.session.scalars(
        select(Resolution)
        .where(Resolution.id == resolution_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _move(resolution_id: int, now: datetime) -> str | None:
    """The next phase the resolution reaches by NOW, entered and committed; None if none."""
    resolution = _locked(resolution_id)
    if resolution.phase == Phase.ANNOUNCED and now >= resolution.discussion_from:
        _enter(resolution, Phase.DISCUSSION)
    elif resolution.phase == Phase.DISCUSSION and now >= resolution.voting_from:
        _open_voting(resolution)
    elif resolution.phase == Phase.VOTING and now >= resolution.voting_until:
        operations.close_resolution(resolution, now)
    else:
        db.session.commit()
        return None
    db.session.commit()
    return resolution.phase


def _enter(resolution: Resolution, phase: Phase, **after) -> None:
    before = resolution.phase
    resolution.phase = phase
    record(
        f"resolution.{phase}",
        resolution,
        before={"phase": before},
        after={"phase": phase, **after},
    )


def _open_voting(resolution: Resolution) -> None:
    """Fix the number of eligible members (turnout and quorum count against it) and put the
    amendments with enough supporters on the ballot."""
    eligible = operations.eligible_members(resolution).subquery()
    resolution.eligible_count = db.session.scalar(select(func.count()).select_from(eligible))
    admitted, refused = [], []
    for item in _proposed_amendments(resolution):
        supporters = db.session.scalar(
            select(func.count()).where(AmendmentSupport.item_id == item.id)
        )
        if supporters >= resolution.min_supporters:
            item.state = ItemState.ON_BALLOT
            admitted.append(item.id)
        else:
            item.state = ItemState.NOT_ADMITTED
            refused.append(item.id)
    _enter(
        resolution,
        Phase.VOTING,
        eligible_count=resolution.eligible_count,
        amendments_on_ballot=admitted,
        amendments_not_admitted=refused,
    )


def _proposed_amendments(resolution: Resolution) -> list[ResolutionItem]:
    return list(
        db.session.scalars(
            select(ResolutionItem)
            .where(
                ResolutionItem.resolution_id == resolution.id,
                ResolutionItem.kind == ItemKind.AMENDMENT,
                ResolutionItem.state == ItemState.PROPOSED,
            )
            .order_by(ResolutionItem.id)
        )
    )


# The mail of each phase: the column that records it went, when it is due, and what it says.


def _send_due_mail(resolution_id: int, now: datetime) -> None:
    resolution = _locked(resolution_id)
    due = _due_mail(resolution, now)
    if due is not None:
        column, kind, subject, body = due
        recipients = _mail_everyone_eligible(resolution, kind, subject, body)
        setattr(resolution, column, now)
        record(
            "resolution.mail",
            resolution,
            after={"mail": column.removesuffix("_at"), "recipients": recipients},
        )
    db.session.commit()


def _due_mail(resolution: Resolution, now: datetime):
    """(column, kind, subject, body) of the mail the resolution's phase calls for at NOW."""
    if resolution.phase == Phase.DISCUSSION:
        return _opened_or_reminder(
            resolution,
            now,
            opened_column="discussion_mail_at",
            reminder_column="discussion_reminder_at",
            ends=resolution.voting_from,
            opened=(
                _l("Discussion opened: %(title)s", title=resolution.title),
                _l(
                    "The discussion of the resolution “%(title)s” is open until %(end)s: you "
                    "can read the motion, comment on it and propose amendments in the panel. "
                    "The vote follows.",
                    title=resolution.title,
                    end=_moment(resolution.voting_from),
                ),
            ),
            reminder=(
                _l("The discussion ends tomorrow: %(title)s", title=resolution.title),
                _l(
                    "The discussion of the resolution “%(title)s” ends on %(end)s; then the "
                    "vote opens. Amendments need their supporters by then.",
                    title=resolution.title,
                    end=_moment(resolution.voting_from),
                ),
            ),
        )
    if resolution.phase == Phase.VOTING:
        return _opened_or_reminder(
            resolution,
            now,
            opened_column="voting_mail_at",
            reminder_column="voting_reminder_at",
            ends=resolution.voting_until,
            opened=(
                _l("Vote now: %(title)s", title=resolution.title),
                _l(
                    "The vote on the resolution “%(title)s” is open until %(end)s. You can "
                    "vote in the panel and change your vote until then.",
                    title=resolution.title,
                    end=_moment(resolution.voting_until),
                ),
            ),
            reminder=(
                _l("The vote ends tomorrow: %(title)s", title=resolution.title),
                _l(
                    "The vote on the resolution “%(title)s” ends on %(end)s. If you have not "
                    "voted yet, you can still do so in the panel.",
                    title=resolution.title,
                    end=_moment(resolution.voting_until),
                ),
            ),
        )
    if resolution.phase == Phase.CLOSED and resolution.result_mail_at is None:
        return ("result_mail_at", Kind.RESOLUTION_RESULT, *_result_texts(resolution))
    return None


def _opened_or_reminder(resolution, now, *, opened_column, reminder_column, ends, opened, reminder):
    """The phase's opening mail once; its reminder once, a day before it ends, unless the
    opening mail itself went within that day (it already says when the phase ends)."""
    opened_at = getattr(resolution, opened_column)
    if opened_at is None:
        return (opened_column, Kind.RESOLUTION_PHASE, *opened)
    window = ends - REMINDER_BEFORE
    if getattr(resolution, reminder_column) is None and window <= now < ends and opened_at < window:
        return (reminder_column, Kind.RESOLUTION_REMINDER, *reminder)
    return None


def _result_texts(resolution: Resolution):
    motion = next(item for item in resolution.items if item.kind == ItemKind.MOTION)
    outcome = _l("passed") if motion.passed else _l("not passed")
    return (
        _l("Result: %(title)s", title=resolution.title),
        _l(
            "The vote on the resolution “%(title)s” has ended: the motion is %(outcome)s "
            "(yes %(yes)s, no %(no)s, abstentions %(abstain)s). The result, the minutes and "
            "the list of receipts are in the panel.",
            title=resolution.title,
            outcome=outcome,
            yes=motion.yes or 0,
            no=motion.no or 0,
            abstain=motion.abstain or 0,
        ),
    )


def _moment(moment: datetime) -> LazyString:
    """The moment as the recipient reads it: formatted once their language is chosen, with
    the panel's time zone named (a mail cannot know the reader's)."""
    return LazyString(lambda: f"{format_moment(moment)} ({get_timezone()})")


def _mail_everyone_eligible(resolution: Resolution, kind: Kind, subject, body) -> int:
    link = f"/resolutions/{resolution.id}"
    count = 0
    for member in db.session.scalars(operations.eligible_members(resolution)):
        notify_member(kind, member.id, subject, body, link)
        count += 1
    return count
