"""What a resolution's page shows the signed-in person, by phase: the text and timeline, whether
the person may vote (and why not), the discussion, the proxy, the ballots, the result."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from panel.coop.models import Member
from panel.governance import discussion, forms, operations
from panel.governance.models import ItemKind, Majority, Phase, Resolution

MAJORITY_WORDS = {
    Majority.SIMPLE: _l("Simple majority: more yes than no votes."),
    Majority.TWO_THIRDS: _l("Two thirds of the yes and no votes."),
    Majority.THREE_QUARTERS: _l("Three quarters of the yes and no votes (statute changes)."),
}


def ineligibility(resolution: Resolution, member: Member | None) -> str | None:
    """Why the person may not vote on the resolution, in words; None when it may."""
    if member is None:
        return _("Your account belongs to no member of the cooperative.")
    if operations.is_eligible(resolution, member):
        return None
    cutoff = resolution.cutoff
    if member.admitted_on is None or member.admitted_on > cutoff:
        return _(
            "Members admitted by the cutoff date vote; you were admitted later or are not "
            "yet admitted."
        )
    return _("Your membership ended before the cutoff date.")


def _ballots(resolution: Resolution, member: Member | None, eligible: bool, given: dict):
    """One ballot for the member itself (if it may vote) and one per principal it votes for."""
    items = operations.ballot_items(resolution)
    voters = ([None] if eligible else []) + operations.principals_of(resolution, member)
    ballots = []
    for principal in voters:
        voter = principal or member
        form = given.get(principal.id if principal else None)
        if form is None:
            chosen = operations.my_open_choices(resolution, voter)
            data = {forms.item_field(item): chosen.get(item.id) for item in items}
            form = forms.ballot_form(
                items, principal.id if principal else None, formdata=None, data=data
            )
        ballots.append(
            {
                "principal": principal,
                "form": form,
                "participation": operations.my_participation(resolution, voter),
                "choices": operations.my_open_choices(resolution, voter),
            }
        )
    return items, ballots


def _closed(resolution: Resolution, member: Member | None, receipt_query: str) -> dict:
    found = operations.find_receipt(resolution, receipt_query) if receipt_query else None
    mine = operations.my_receipt(resolution, member) if member else None
    return {
        "result": operations.result_of(resolution),
        "receipts": operations.published_receipts(resolution),
        "receipt_query": receipt_query,
        "receipt_found": found,
        "receipt_normal": operations.normalise_receipt(receipt_query),
        "my_receipt": mine,
        "open_votes": operations.open_votes(resolution),
    }


def resolution_context(
    resolution: Resolution, member: Member | None, receipt_query: str, given: dict
) -> dict:
    """The template's context; GIVEN holds forms sent back with their errors (and what was
    typed), a receipt just issued and for whom."""
    reason = ineligibility(resolution, member)
    items = resolution.items
    context = {
        "resolution": resolution,
        "member": member,
        "ineligible": reason,
        "majority_words": MAJORITY_WORDS.get(resolution.majority, resolution.majority),
        "titles": {item.id: item.title for item in items},
        "motion": next(item for item in items if item.kind == ItemKind.MOTION),
        "amendments": [item for item in items if item.kind == ItemKind.AMENDMENT],
        "supporters": discussion.supporter_counts(resolution),
        "supported": discussion.supported_by(resolution, member) if member else set(),
        "comment_form": given.get("comment_form") or forms.CommentForm(formdata=None),
        "amendment_form": given.get("amendment_form") or forms.AmendmentForm(formdata=None),
        "proxy_form": given.get("proxy_form") or forms.ProxyForm(formdata=None),
        "proxies_allowed": operations.proxies_allowed() > 0,
        "proxy_given": operations.proxy_of(resolution, member) if member else None,
        "principals": operations.principals_of(resolution, member) if member else [],
        "receipt": given.get("receipt"),
        "receipt_for": given.get("receipt_for"),
    }
    if resolution.phase == Phase.VOTING and member is not None:
        context["ballot_items"], context["ballots"] = _ballots(
            resolution, member, reason is None, given.get("ballots", {})
        )
    if resolution.phase == Phase.CLOSED:
        context.update(_closed(resolution, member, receipt_query))
    return context
