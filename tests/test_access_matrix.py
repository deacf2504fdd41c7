"""Who may see and change what: role × endpoint × owner, for every URL of the app.

Each row of TABLE is one (method, rule) of app.url_map, web page or API operation, with the
status each role gets: anonymous, admin, reseller (a member with customers), member and customer
(an account under a reseller, without a member record). Where the URL names an object, the
request is made once for the caller's own object and once for another member's (for an account:
another reseller's customer; for a customer: what serves another reseller's customer); a
customer is also asked about its reseller's object that serves another customer (SIBLING). A
role without an object of that kind (an admin has no member record) is asked about the others
only. A customer's own objects are what its reseller named as serving it: it reads them (200)
and may not change them (403).

A new URL fails test_every_rule_is_in_the_table until it has a row here. Objects the caller
may not see answer 404, actions the role may not take answer 403 (API) — see panel/core/access.
"""

import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from discussion_support import in_discussion
from flask import current_app
from ledger_rows import ledger_row, server_row
from resolutions_support import add_amendment, resolution_data
from sqlalchemy import func, select

from panel.accounts import operations as accounts
from panel.accounts.models import PasswordResetToken
from panel.accounts.tokens import digest
from panel.billing import operations as billing
from panel.billing import payments
from panel.billing.models import DirectDebit
from panel.coop import notices, settlement
from panel.coop import operations as coop
from panel.core.audit import acting
from panel.core.models import Base, utcnow
from panel.core.roles import Role
from panel.extensions import db
from panel.governance.models import Attachment, ItemState
from panel.hosts.models import Host
from panel.notifications.kinds import Kind
from panel.notifications.operations import notify
from panel.provisioning import operations as provisioning
from panel.servers import firewall
from panel.servers import operations as servers
from panel.servers import users as server_users
from panel.video import operations as video
from panel.video import rooms as video_rooms
from panel.video.views import RECORDING_CHANGES, SERVER_CHANGES
from panel.webspaces import databases, domains, sftp_users
from panel.webspaces import operations as webspaces

ANONYMOUS, ADMIN, RESELLER, MEMBER, CUSTOMER = (
    "anonymous",
    "admin",
    "reseller",
    "member",
    "customer",
)
ROLES = (ANONYMOUS, ADMIN, RESELLER, MEMBER, CUSTOMER)
OWN, OTHER, SIBLING = "own", "other", "sibling"
# Rules left out: files, and the public document describing the API.
IGNORED = ("/static/", "/api/v1/openapi.json")


@dataclass(frozen=True)
class Redirect:
    """A 302 whose Location path starts with `to`."""

    to: str


LOGIN = Redirect("/login")
HOME = Redirect("/")
WEBSPACES = Redirect("/webspaces/")
BILLING = Redirect("/admin/billing/")
PAYMENT = Redirect("/billing/payment")
PAYMENT_OF_MEMBER = Redirect("/admin/members/")
DEBITS = Redirect("/admin/direct-debits/")
DENIED = (401, 403, 404, LOGIN)
MEMBERSHIP = Redirect("/membership")
MEMBERSHIP_OWN = {OWN: MEMBERSHIP, OTHER: 404}


@dataclass(frozen=True)
class Row:
    """Expected answers by role; a dict {OWN: ..., OTHER: ...} where ownership matters."""

    anonymous: object
    admin: object
    reseller: object
    member: object
    customer: object
    json: dict | None = None
    form: dict = field(default_factory=dict)
    host: bool = False  # the request names the host "matrix", which must exist


def everyone(answer, anonymous=LOGIN, **request) -> Row:
    return Row(anonymous, answer, answer, answer, answer, **request)


def admins(answer, others=403, anonymous=LOGIN, **request) -> Row:
    return Row(anonymous, answer, others, others, others, **request)


def owners(answer, members=None, anonymous=LOGIN, customer=404, **request) -> Row:
    """Admins may act on any object; members and resellers on their own; others get 404."""
    members = members or {OWN: answer, OTHER: 404}
    return Row(anonymous, answer, members, members, customer, **request)


def keepers(answer, admin=None, anonymous=LOGIN, **request) -> Row:
    """Accounts: admins keep any, a reseller its customers' (another reseller's are 404);
    members and customers keep none (403)."""
    reseller = {OWN: answer, OTHER: 404}
    return Row(anonymous, admin or answer, reseller, 403, 403, **request)


# A customer reads what serves it, and nothing of its reseller's other customers.
READS = {OWN: 200, OTHER: 404, SIBLING: 404}
ONLY_READS = {OWN: 403, OTHER: 404, SIBLING: 404}


def resold(answer, customer=None, member=404, anonymous=LOGIN, **request) -> Row:
    """A managed server or one of its parts: admins act on any; a reseller on its customers',
    a customer on its own (or gets CUSTOMER where the action is the reseller's); another
    reseller's or customer's is missing, and so is any for a member."""
    mine = {OWN: answer, OTHER: 404}
    theirs = {**mine, SIBLING: 404} if customer is None else customer
    return Row(anonymous, answer, mine, member, theirs, **request)


def api(row: Row) -> Row:
    """The same for the API, where a missing token is 401, not a redirect to the login page."""
    return Row(401, row.admin, row.reseller, row.member, row.customer, row.json, row.form, row.host)


OWN_ONLY = {OWN: 200, OTHER: 404}
VIDEO = Redirect("/video")
VIDEO_ADMIN = Redirect("/video/admin")
ROOM = Redirect("/video/rooms/")
# A room's public page is anyone's: another member's room answers like one's own.
PUBLIC = {OWN: 200, OTHER: 200}
NOT_ADMITTED = {OWN: 422, OTHER: 422}
LIMITS = {"max_participants": 10, "max_duration_minutes": None, "recording_allowed": True}
BBB_SERVER = {"domain": "bbb9.matrix.example", "secret": "matrixsecret0123456789"}
SERVERS = Redirect("/servers/")
ED25519_LINE = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl matrix"
)
MEMBER_RECORD = {"name": "New Member", "email": "new@example.org", "prefix": "new"}
BOOKING = {"kind": "subscription", "count": 1, "value_date": "2025-01-01"}
POOL = {"name": "Uplink", "amount": "10.00", "key": "traffic"}
RESOLUTION = Redirect("/resolutions/")
ADMIN_RESOLUTION = Redirect("/admin/resolutions/")

TABLE: dict[tuple[str, str], Row] = {
    # Public pages.
    ("GET", "/healthz"): everyone(200, anonymous=200),
    ("GET", "/metrics"): everyone(200, anonymous=200),  # loopback callers; see tests/core
    ("GET", "/logo"): everyone(404, anonymous=404),  # no PANEL_LOGO here; see tests/core
    ("POST", "/language"): everyone(HOME, anonymous=HOME, form={"lang": "de"}),
    ("GET", "/login"): everyone(HOME, anonymous=200),
    ("POST", "/login"): everyone(HOME, anonymous=422),
    ("GET", "/login/code"): everyone(LOGIN, anonymous=LOGIN),
    ("POST", "/login/code"): everyone(LOGIN, anonymous=LOGIN),
    ("GET", "/login/enrol"): everyone(200),
    ("POST", "/login/enrol"): everyone(422),
    ("GET", "/password/forgot"): everyone(200, anonymous=200),
    ("POST", "/password/forgot"): everyone(422, anonymous=422),
    # A reset link is its own credential: whoever holds it may use it.
    ("GET", "/password/reset/<token>"): everyone(200, anonymous=200),
    ("POST", "/password/reset/<token>"): everyone(422, anonymous=422),
    # Every signed-in user's own pages.
    ("GET", "/"): everyone(200),
    ("GET", "/audit"): everyone(200),
    ("GET", "/search"): admins(200),
    ("POST", "/logout"): everyone(LOGIN),
    ("GET", "/account"): everyone(200),
    ("POST", "/account/profile"): everyone(422),
    ("POST", "/account/timezone"): everyone(Redirect("/account")),
    ("POST", "/account/password"): everyone(422),
    ("POST", "/account/recovery-codes"): everyone(Redirect("/account")),
    ("POST", "/account/totp/disable"): everyone(422),
    ("POST", "/account/tokens"): everyone(200, form={"name": "laptop"}),
    # Notifications: each user's own, admins included.
    ("GET", "/notifications"): everyone(200),
    ("POST", "/notifications/<int:notification_id>/read"): everyone(
        {OWN: Redirect("/notifications"), OTHER: 404}
    ),
    ("POST", "/notifications/read"): everyone(Redirect("/notifications")),
    ("POST", "/notifications/mail"): everyone(Redirect("/account"), form={"kinds": "job_failed"}),
    ("POST", "/account/tokens/<int:token_id>/revoke"): everyone(
        {OWN: Redirect("/account"), OTHER: 404}
    ),
    ("GET", "/membership"): Row(LOGIN, 404, 200, 200, 404),
    # Shares and notices on one's own membership page; those without a member record have none.
    ("POST", "/membership/shares"): Row(LOGIN, 404, 422, 422, 404),
    ("POST", "/membership/notices"): Row(LOGIN, 404, 422, 422, 404),
    ("POST", "/membership/notices/<int:notice_id>/withdraw"): Row(
        LOGIN, 404, MEMBERSHIP_OWN, MEMBERSHIP_OWN, 404
    ),
    ("POST", "/membership/leave"): Row(LOGIN, 404, MEMBERSHIP, MEMBERSHIP, 404),
    ("GET", "/admin/share-notices"): admins(200),
    ("POST", "/admin/share-payouts/<int:payout_id>/paid"): admins(Redirect("/admin/share-notices")),
    ("GET", "/account/export"): Row(LOGIN, 404, 200, 200, 404),
    ("POST", "/membership"): Row(LOGIN, 404, Redirect("/membership"), Redirect("/membership"), 404),
    ("GET", "/jobs"): everyone(200),
    ("GET", "/jobs/<int:job_id>"): owners(200, customer=READS),
    ("GET", "/jobs/<int:job_id>/events.json"): owners(200, customer=READS),
    ("POST", "/jobs/<int:job_id>/retry"): owners(Redirect("/jobs/"), customer=ONLY_READS),
    ("POST", "/jobs/<int:job_id>/cancel"): admins(Redirect("/jobs/")),
    # The office.
    ("GET", "/admin/users"): admins(200),
    ("POST", "/admin/users"): admins(422),
    # Accounts kept by admins and resellers.
    ("GET", "/customers"): Row(LOGIN, 403, 200, 403, 403),
    ("POST", "/customers"): Row(LOGIN, 403, 422, 403, 403),
    ("GET", "/users/<int:login_id>"): keepers(200),
    ("POST", "/users/<int:login_id>"): keepers(422),
    ("POST", "/users/<int:login_id>/role"): admins(422),
    ("POST", "/users/<int:login_id>/<any(disable, enable):change>"): keepers(Redirect("/users/")),
    # Without a mail server the link is on the answer's page.
    ("POST", "/users/<int:login_id>/password-link"): keepers(200),
    ("POST", "/users/<int:login_id>/second-factor/reset"): admins(Redirect("/users/")),
    ("POST", "/users/<int:login_id>/delete"): keepers(
        Redirect("/customers"), admin=Redirect("/admin/users")
    ),
    ("GET", "/admin/members"): admins(200),
    ("GET", "/admin/members.csv"): admins(200),
    ("GET", "/admin/members/new"): admins(200),
    ("POST", "/admin/members/new"): admins(422),
    ("GET", "/admin/members/<int:member_id>"): admins(200),
    ("POST", "/admin/members/<int:member_id>/contact"): admins(422),
    ("POST", "/admin/members/<int:member_id>/<any(admit, cancel, end):change>"): admins(
        Redirect("/admin/members/")
    ),
    ("POST", "/admin/members/<int:member_id>/shares"): admins(422),
    ("POST", "/admin/shares/<int:transaction_id>/reverse"): admins(Redirect("/admin/members/")),
    ("GET", "/admin/hosts"): admins(200),
    ("GET", "/admin/hosts/new"): admins(200),
    ("POST", "/admin/hosts/new"): admins(422),
    ("GET", "/admin/hosts/<int:host_id>"): admins(200),
    ("POST", "/admin/hosts/<int:host_id>/onboard"): admins(Redirect("/admin/hosts/")),
    ("POST", "/admin/hosts/<int:host_id>/retire"): admins(Redirect("/admin/hosts/")),
    ("POST", "/admin/hosts/<int:host_id>/jobs"): admins(422),
    ("POST", "/admin/hosts/<int:host_id>/webspaces/reapply"): admins(Redirect("/admin/hosts/")),
    ("GET", "/admin/maintenance"): admins(200),
    # Webspaces.
    ("GET", "/webspaces"): everyone(200),
    ("GET", "/domains"): everyone(200),
    ("POST", "/webspaces"): Row(LOGIN, 422, 422, 422, 403),
    ("GET", "/webspaces/<int:webspace_id>"): owners(200, customer=READS),
    ("GET", "/webspaces/<int:webspace_id>/state"): owners(200, customer=READS),
    ("GET", "/domains/<int:domain_id>/state"): owners(200, customer=READS),
    ("GET", "/databases/<int:database_id>/state"): owners(200, customer=READS),
    ("GET", "/sftp-users/<int:user_id>/state"): owners(200, customer=READS),
    ("POST", "/webspaces/<int:webspace_id>/<any(delete, restore):change>"): owners(
        WEBSPACES, customer=ONLY_READS
    ),
    ("POST", "/webspaces/<int:webspace_id>/<any(suspend, unsuspend, purge):change>"): admins(
        WEBSPACES
    ),
    ("POST", "/webspaces/<int:webspace_id>/customer"): owners(
        WEBSPACES, customer=ONLY_READS, form={"customer": ""}
    ),
    ("POST", "/webspaces/<int:webspace_id>/domains"): owners(422, customer=ONLY_READS),
    ("POST", "/domains/<int:domain_id>/<any(verify, delete):change>"): owners(
        WEBSPACES, customer=ONLY_READS
    ),
    ("POST", "/webspaces/<int:webspace_id>/databases"): owners(422, customer=ONLY_READS),
    ("POST", "/databases/<int:database_id>/<any(delete, restore):change>"): owners(
        WEBSPACES, customer=ONLY_READS
    ),
    ("POST", "/webspaces/<int:webspace_id>/sftp-users"): owners(422, customer=ONLY_READS),
    ("POST", "/sftp-users/<int:user_id>/delete"): owners(WEBSPACES, customer=ONLY_READS),
    ("POST", "/admin/maintenance"): admins(422),
    # Usage.
    ("GET", "/usage"): everyone(200),
    ("GET", "/webspaces/<int:webspace_id>/usage"): owners(200, customer=READS),
    ("GET", "/admin/usage"): admins(200),
    ("GET", "/api/v1/usage"): api(everyone(200)),
    # Billing.
    ("GET", "/admin/billing"): admins(200),
    ("POST", "/admin/billing"): admins(422),
    ("GET", "/admin/billing/<int:period_id>"): admins(200),
    ("POST", "/admin/billing/<int:period_id>/pools"): admins(422),
    ("POST", "/admin/billing/pools/<int:pool_id>/delete"): admins(BILLING),
    ("POST", "/admin/billing/<int:period_id>/<any(run, cancel, issue, close):change>"): admins(
        BILLING
    ),
    ("POST", "/admin/invoices/<int:invoice_id>/correct"): admins(422),
    ("GET", "/invoices"): Row(LOGIN, 200, 200, 200, 403),
    ("GET", "/billing/payment"): Row(LOGIN, 404, 200, 200, 404),
    ("POST", "/billing/payment/accounts"): Row(LOGIN, 404, 422, 422, 404),
    ("POST", "/billing/payment/mandates"): Row(LOGIN, 404, 422, 422, 404),
    ("GET", "/admin/members/<int:member_id>/payment"): admins(200),
    ("POST", "/admin/members/<int:member_id>/payment/accounts"): admins(422),
    ("POST", "/admin/members/<int:member_id>/payment/mandates"): admins(422),
    ("POST", "/billing/payment/accounts/<int:account_id>/delete"): owners(
        PAYMENT_OF_MEMBER, members={OWN: PAYMENT, OTHER: 404}
    ),
    ("POST", "/billing/payment/mandates/<int:mandate_id>/revoke"): owners(
        PAYMENT_OF_MEMBER, members={OWN: PAYMENT, OTHER: 404}
    ),
    ("GET", "/admin/direct-debits"): admins(200),
    ("POST", "/admin/direct-debits"): admins(422),
    ("GET", "/admin/direct-debits/<int:debit_id>"): admins(200),
    ("GET", "/admin/direct-debits/<int:debit_id>.xml"): admins(200),
    ("POST", "/admin/direct-debits/<int:debit_id>/collected"): admins(DEBITS),
    # The matrix's invoice is in no direct debit: nothing to return.
    ("POST", "/admin/invoices/<int:invoice_id>/return"): admins(409),
    ("GET", "/invoices/<int:invoice_id>"): owners(200),
    ("GET", "/invoices/<int:invoice_id>.pdf"): owners(200),
    ("GET", "/invoices/<int:invoice_id>.xml"): owners(200),
    ("GET", "/transparency"): Row(LOGIN, 200, 200, 200, 403),
    ("GET", "/costs"): Row(*[Redirect("/transparency")] * 5),
    ("GET", "/api/v1/invoices"): api(everyone(200)),
    ("GET", "/api/v1/invoices/<int:invoice_id>"): api(owners(200)),
    ("GET", "/api/v1/billing/periods"): api(admins(200)),
    ("POST", "/api/v1/billing/periods"): api(admins(422, json={})),
    ("GET", "/api/v1/billing/periods/<int:period_id>"): api(admins(200)),
    ("POST", "/api/v1/billing/periods/<int:period_id>/pools"): api(admins(201, json=POOL)),
    ("DELETE", "/api/v1/billing/pools/<int:pool_id>"): api(admins(200)),
    ("POST", "/api/v1/billing/periods/<int:period_id>/run"): api(admins(200)),
    ("POST", "/api/v1/billing/periods/<int:period_id>/cancel"): api(admins(200)),
    ("POST", "/api/v1/billing/periods/<int:period_id>/issue"): api(admins(200)),
    ("POST", "/api/v1/billing/periods/<int:period_id>/close"): api(admins(200)),
    # The API: the caller's own account.
    ("GET", "/api/v1/account"): api(everyone(200)),
    ("PATCH", "/api/v1/account"): api(everyone(200, json={"locale": "de"})),
    ("GET", "/api/v1/account/tokens"): api(everyone(200)),
    ("POST", "/api/v1/account/tokens"): api(everyone(201, json={"name": "ci"})),
    ("DELETE", "/api/v1/account/tokens/<int:token_id>"): api(everyone(OWN_ONLY)),
    ("GET", "/api/v1/audit"): api(everyone(200)),
    # Accounts kept by admins (any) and resellers (their customers').
    ("GET", "/api/v1/users"): api(Row(LOGIN, 200, 200, 403, 403)),
    # A customer without its reseller: an admin must name the reseller.
    ("POST", "/api/v1/users"): api(
        Row(LOGIN, 422, 201, 403, 403, json={"email": "new-login@example.org", "role": "customer"})
    ),
    ("GET", "/api/v1/users/<int:login_id>"): api(keepers(200)),
    ("PATCH", "/api/v1/users/<int:login_id>"): api(keepers(200, json={"name": "Renamed"})),
    ("DELETE", "/api/v1/users/<int:login_id>"): api(keepers(204)),
    ("POST", "/api/v1/users/<int:login_id>/password-link"): api(keepers(200)),
    # The account has no second factor to reset.
    ("POST", "/api/v1/users/<int:login_id>/second-factor/reset"): api(admins(409)),
    # Members and their shares.
    ("GET", "/api/v1/members"): api(everyone(200)),
    ("POST", "/api/v1/members"): api(admins(201, json=MEMBER_RECORD)),
    ("GET", "/api/v1/members/<int:member_id>"): api(owners(200)),
    ("PATCH", "/api/v1/members/<int:member_id>"): api(owners(200, json={"city": "Kassel"})),
    ("POST", "/api/v1/members/<int:member_id>/admit"): api(admins(409)),
    ("POST", "/api/v1/members/<int:member_id>/cancel"): api(admins(200)),
    ("POST", "/api/v1/members/<int:member_id>/end"): api(admins(409)),
    ("GET", "/api/v1/members/<int:member_id>/shares"): api(owners(200)),
    ("GET", "/api/v1/members/<int:member_id>/export"): api(owners(200)),
    ("POST", "/api/v1/members/<int:member_id>/shares"): api(admins(201, json=BOOKING)),
    ("POST", "/api/v1/shares/<int:transaction_id>/reverse"): api(admins(201)),
    ("POST", "/api/v1/members/<int:member_id>/shares/subscriptions"): api(
        owners(201, json={"count": 1})
    ),
    ("GET", "/api/v1/members/<int:member_id>/shares/notices"): api(owners(200)),
    # The member holds no shares in this world: the minimum holding refuses (after access).
    ("POST", "/api/v1/members/<int:member_id>/shares/notices"): api(owners(409, json={"count": 1})),
    ("POST", "/api/v1/members/<int:member_id>/notice"): api(owners(201)),
    ("POST", "/api/v1/share-notices/<int:notice_id>/withdraw"): api(owners(200)),
    ("GET", "/api/v1/share-payouts"): api(admins(200)),
    ("POST", "/api/v1/share-payouts/<int:payout_id>/paid"): api(admins(200)),
    # Hosts and jobs.
    ("GET", "/api/v1/hosts"): api(admins(200)),
    ("POST", "/api/v1/hosts"): api(admins(422, json={"name": "web9"})),
    ("GET", "/api/v1/hosts/<int:host_id>"): api(admins(200)),
    ("PATCH", "/api/v1/hosts/<int:host_id>"): api(admins(200, json={"capacity": 50})),
    ("POST", "/api/v1/hosts/<int:host_id>/retire"): api(admins(200)),
    ("GET", "/api/v1/jobs"): api(everyone(200)),
    ("POST", "/api/v1/jobs"): api(
        admins(202, json={"action": "ping", "hosts": ["matrix"]}, host=True)
    ),
    ("GET", "/api/v1/jobs/<int:job_id>"): api(owners(200, customer=READS)),
    ("POST", "/api/v1/jobs/<int:job_id>/cancel"): api(admins(409)),
    ("POST", "/api/v1/jobs/<int:job_id>/retry"): api(owners(202, customer=ONLY_READS)),
    # Webspaces and what is in them.
    ("GET", "/api/v1/webspaces"): api(everyone(200)),
    # No webspace host has room in this world: members get as far as placement.
    ("POST", "/api/v1/webspaces"): api(Row(401, 422, 409, 409, 403, json={})),
    ("GET", "/api/v1/webspaces/<int:webspace_id>"): api(owners(200, customer=READS)),
    ("PATCH", "/api/v1/webspaces/<int:webspace_id>"): api(admins(200, json={"max_users": 3})),
    ("DELETE", "/api/v1/webspaces/<int:webspace_id>"): api(owners(202, customer=ONLY_READS)),
    ("PUT", "/api/v1/webspaces/<int:webspace_id>/customer"): api(
        owners(200, customer=403, json={"customer_id": None})
    ),
    ("POST", "/api/v1/webspaces/<int:webspace_id>/restore"): api(owners(409, customer=ONLY_READS)),
    ("POST", "/api/v1/webspaces/<int:webspace_id>/suspend"): api(admins(202)),
    ("POST", "/api/v1/webspaces/<int:webspace_id>/unsuspend"): api(admins(409)),
    ("POST", "/api/v1/webspaces/<int:webspace_id>/purge"): api(admins(409)),
    ("GET", "/api/v1/webspaces/<int:webspace_id>/domains"): api(owners(200, customer=READS)),
    ("POST", "/api/v1/webspaces/<int:webspace_id>/domains"): api(
        owners(202, customer=ONLY_READS, json={"name": "matrix.example"})
    ),
    ("GET", "/api/v1/domains/<int:domain_id>"): api(owners(200, customer=READS)),
    ("PATCH", "/api/v1/domains/<int:domain_id>"): api(
        owners(202, customer=ONLY_READS, json={"tls": False})
    ),
    ("DELETE", "/api/v1/domains/<int:domain_id>"): api(owners(202, customer=ONLY_READS)),
    ("POST", "/api/v1/domains/<int:domain_id>/verify"): api(owners(409, customer=ONLY_READS)),
    ("GET", "/api/v1/webspaces/<int:webspace_id>/databases"): api(owners(200, customer=READS)),
    ("POST", "/api/v1/webspaces/<int:webspace_id>/databases"): api(
        owners(202, customer=ONLY_READS, json={"engine": "mariadb", "name": "shop"})
    ),
    ("GET", "/api/v1/databases/<int:database_id>"): api(owners(200, customer=READS)),
    ("DELETE", "/api/v1/databases/<int:database_id>"): api(owners(202, customer=ONLY_READS)),
    ("POST", "/api/v1/databases/<int:database_id>/restore"): api(owners(409, customer=ONLY_READS)),
    ("GET", "/api/v1/webspaces/<int:webspace_id>/sftp-users"): api(owners(200, customer=READS)),
    ("POST", "/api/v1/webspaces/<int:webspace_id>/sftp-users"): api(
        owners(202, customer=ONLY_READS, json={"name": "anna", "public_keys": [ED25519_LINE]})
    ),
    # The old path of the two above, deprecated.
    ("GET", "/api/v1/webspaces/<int:webspace_id>/users"): api(owners(200, customer=READS)),
    ("POST", "/api/v1/webspaces/<int:webspace_id>/users"): api(
        owners(202, customer=ONLY_READS, json={"name": "anna", "public_keys": [ED25519_LINE]})
    ),
    ("GET", "/api/v1/sftp-users/<int:user_id>"): api(owners(200, customer=READS)),
    ("PATCH", "/api/v1/sftp-users/<int:user_id>"): api(
        owners(202, customer=ONLY_READS, json={"chroot": True})
    ),
    ("DELETE", "/api/v1/sftp-users/<int:user_id>"): api(owners(202, customer=ONLY_READS)),
    # Managed servers: a reseller's for its customers; sizes, firewall, actions and release are
    # the reseller's, users and keys also the customer's.
    ("GET", "/servers"): Row(LOGIN, 200, 200, 403, 200),
    ("POST", "/servers"): Row(LOGIN, 422, 422, 403, 403),
    ("GET", "/servers/<int:server_id>"): resold(200),
    ("POST", "/servers/<int:server_id>/approve"): admins(SERVERS),
    ("POST", "/servers/<int:server_id>/actions"): resold(SERVERS, customer=403, member=403),
    ("POST", "/servers/<int:server_id>/users"): resold(422),
    ("POST", "/server-users/<int:server_user_id>/delete"): resold(SERVERS),
    ("POST", "/server-users/<int:server_user_id>/keys"): resold(422),
    ("POST", "/server-keys/<int:key_id>/delete"): resold(SERVERS),
    ("POST", "/servers/<int:server_id>/ports"): resold(422, customer=403, member=403),
    ("POST", "/server-ports/<int:port_id>/delete"): resold(SERVERS, customer=403, member=403),
    ("POST", "/servers/<int:server_id>/release"): resold(422, customer=403, member=403),
    ("GET", "/api/v1/server-sizes"): api(Row(LOGIN, 200, 200, 403, 200)),
    ("GET", "/api/v1/servers"): api(Row(LOGIN, 200, 200, 403, 200)),
    ("POST", "/api/v1/servers"): api(Row(LOGIN, 422, 422, 403, 403, json={})),
    ("GET", "/api/v1/servers/<int:server_id>"): api(resold(200)),
    ("DELETE", "/api/v1/servers/<int:server_id>"): api(
        resold(202, customer=403, member=403, json={"mode": "wipe"})
    ),
    ("POST", "/api/v1/servers/<int:server_id>/approve"): api(admins(409)),
    ("POST", "/api/v1/servers/<int:server_id>/actions"): api(
        resold(202, customer=403, member=403, json={"action": "reboot"})
    ),
    ("GET", "/api/v1/servers/<int:server_id>/drift"): api(resold(200)),
    ("GET", "/api/v1/servers/<int:server_id>/users"): api(resold(200)),
    ("POST", "/api/v1/servers/<int:server_id>/users"): api(resold(202, json={"name": "anna"})),
    ("GET", "/api/v1/server-users/<int:server_user_id>"): api(resold(200)),
    ("DELETE", "/api/v1/server-users/<int:server_user_id>"): api(resold(202)),
    ("POST", "/api/v1/server-users/<int:server_user_id>/keys"): api(
        resold(202, json={"public_key": ED25519_LINE})
    ),
    ("DELETE", "/api/v1/server-keys/<int:key_id>"): api(resold(202)),
    ("GET", "/api/v1/servers/<int:server_id>/firewall"): api(resold(200)),
    ("POST", "/api/v1/servers/<int:server_id>/firewall"): api(
        resold(202, customer=403, member=403, json={"port": 8080})
    ),
    ("DELETE", "/api/v1/server-ports/<int:port_id>"): api(resold(202, customer=403, member=403)),
    # Video: a member's tenant and rooms; BBB servers and tenants' limits are the office's.
    # Calls that reach the cluster find no BBBLB here: 503 (the page: its message) once the
    # access check let them through.
    ("GET", "/video"): Row(LOGIN, 200, 200, 200, 403),
    # Without a ready BBBLB host the member learns so (tests/video has the tenant's making).
    ("POST", "/video/tenant"): Row(LOGIN, 403, VIDEO, VIDEO, 403),
    ("POST", "/video/tenant/rotate"): Row(LOGIN, 403, 404, 404, 403),
    ("POST", "/video/tenant/end"): Row(LOGIN, 403, 404, 404, 403),
    ("POST", "/video/rooms"): Row(LOGIN, 403, 422, 422, 403),
    ("GET", "/video/rooms/<int:room_id>"): owners(200),
    ("POST", "/video/rooms/<int:room_id>"): owners(422),
    ("POST", "/video/rooms/<int:room_id>/delete"): owners(VIDEO, members={OWN: VIDEO, OTHER: 404}),
    ("POST", "/video/rooms/<int:room_id>/start"): owners(ROOM, members={OWN: ROOM, OTHER: 404}),
    ("POST", "/video/rooms/<int:room_id>/shares"): owners(422),
    ("POST", "/video/shares/<int:share_id>/delete"): owners(ROOM, members={OWN: ROOM, OTHER: 404}),
    ("POST", f"/video/rooms/<int:room_id>/recordings/{RECORDING_CHANGES}"): owners(
        ROOM, members={OWN: ROOM, OTHER: 404}
    ),
    ("GET", "/r/<slug>"): Row(200, 200, PUBLIC, PUBLIC, 200),
    ("POST", "/r/<slug>"): Row(422, 422, NOT_ADMITTED, NOT_ADMITTED, 422),
    ("GET", "/r/<slug>/wait/<ticket>"): Row(422, 422, NOT_ADMITTED, NOT_ADMITTED, 422),
    ("GET", "/video/admin"): admins(200),
    ("POST", "/video/admin/servers"): admins(422),
    ("POST", "/video/admin/install"): admins(VIDEO_ADMIN),
    ("POST", f"/video/admin/servers/<int:bbb_server_id>/{SERVER_CHANGES}"): admins(VIDEO_ADMIN),
    ("POST", "/video/admin/tenants/<int:tenant_id>/limits"): admins(VIDEO_ADMIN),
    ("GET", "/api/v1/video/tenant"): Row(401, 403, 404, 404, 403),
    ("POST", "/api/v1/video/tenant"): Row(401, 403, 409, 409, 403),
    ("POST", "/api/v1/video/tenant/rotate"): Row(401, 403, 404, 404, 403),
    ("DELETE", "/api/v1/video/tenant"): Row(401, 403, 404, 404, 403),
    ("GET", "/api/v1/video/tenants"): api(admins(200)),
    ("PUT", "/api/v1/video/tenants/<int:tenant_id>/limits"): api(admins(202, json=LIMITS)),
    ("GET", "/api/v1/video/servers"): api(admins(200)),
    ("POST", "/api/v1/video/servers/install"): api(admins(404, json={"host": "bbb-matrix"})),
    ("POST", "/api/v1/video/servers"): api(admins(409, json=BBB_SERVER)),
    ("POST", "/api/v1/video/servers/<int:bbb_server_id>/actions"): api(
        admins(202, json={"action": "cordon"})
    ),
    ("GET", "/api/v1/rooms"): api(Row(LOGIN, 200, 200, 200, 403)),
    ("POST", "/api/v1/rooms"): api(Row(LOGIN, 403, 409, 409, 403, json={"name": "Matrix"})),
    ("GET", "/api/v1/rooms/<int:room_id>"): api(owners(200)),
    ("PATCH", "/api/v1/rooms/<int:room_id>"): api(owners(200, json={"name": "Renamed"})),
    ("DELETE", "/api/v1/rooms/<int:room_id>"): api(owners(204)),
    ("POST", "/api/v1/rooms/<int:room_id>/start"): api(owners(503)),
    ("GET", "/api/v1/rooms/<int:room_id>/recordings"): api(owners(503)),
    ("POST", "/api/v1/rooms/<int:room_id>/recordings"): api(
        owners(503, json={"record_id": "abc-1", "action": "publish"})
    ),
    # Resolutions, as members see them: the board and the members read them, customers have no
    # part. The matrix's resolution is in its discussion; its members joined after the cutoff.
    ("GET", "/resolutions"): Row(LOGIN, 200, 200, 200, 403),
    ("GET", "/resolutions/<int:resolution_id>"): Row(LOGIN, 200, 200, 200, 403),
    ("POST", "/resolutions/<int:resolution_id>/comments"): Row(LOGIN, 422, 422, 422, 403),
    ("POST", "/resolutions/<int:resolution_id>/amendments"): Row(LOGIN, 422, 422, 422, 403),
    (
        "POST",
        "/resolutions/<int:resolution_id>/amendments/<int:item_id>/"
        "<any(support, unsupport, withdraw):change>",
    ): Row(LOGIN, RESOLUTION, RESOLUTION, RESOLUTION, 403),
    ("POST", "/resolutions/<int:resolution_id>/proxy"): Row(LOGIN, 422, 422, 422, 403),
    ("POST", "/resolutions/<int:resolution_id>/proxy/revoke"): Row(
        LOGIN, RESOLUTION, RESOLUTION, RESOLUTION, 403
    ),
    ("POST", "/resolutions/<int:resolution_id>/ballot"): Row(LOGIN, 422, 422, 422, 403),
    # Minutes exist once the vote has closed; the matrix's resolution is still discussed.
    ("GET", "/resolutions/<int:resolution_id>/minutes.pdf"): Row(LOGIN, 409, 409, 409, 403),
    ("GET", "/resolutions/<int:resolution_id>/attachments/<int:attachment_id>"): Row(
        LOGIN, 200, 200, 200, 403
    ),
    # The board's resolution pages. The matrix's resolution is past its draft: changing it,
    # announcing, deleting and its attachments are refused on its page; no minutes before the
    # close.
    ("GET", "/admin/resolutions"): admins(200),
    ("GET", "/admin/resolutions/new"): admins(200),
    ("POST", "/admin/resolutions/new"): admins(422),
    ("GET", "/admin/resolutions/<int:resolution_id>"): admins(200),
    ("GET", "/admin/resolutions/<int:resolution_id>/edit"): admins(ADMIN_RESOLUTION),
    ("POST", "/admin/resolutions/<int:resolution_id>/edit"): admins(ADMIN_RESOLUTION),
    ("POST", "/admin/resolutions/<int:resolution_id>/announce"): admins(ADMIN_RESOLUTION),
    ("POST", "/admin/resolutions/<int:resolution_id>/delete"): admins(ADMIN_RESOLUTION),
    ("POST", "/admin/resolutions/<int:resolution_id>/attachments"): admins(422),
    ("GET", "/admin/resolutions/<int:resolution_id>/attachments/<int:attachment_id>"): admins(200),
    (
        "POST",
        "/admin/resolutions/<int:resolution_id>/attachments/<int:attachment_id>/remove",
    ): admins(ADMIN_RESOLUTION),
    ("GET", "/admin/resolutions/<int:resolution_id>/minutes.pdf"): admins(409),
    # The resolutions' API: the board drafts and announces, members read, vote and give a
    # proxy. The matrix's resolution is in its discussion: no ballot yet, no result, no change.
    ("GET", "/api/v1/resolutions"): api(Row(LOGIN, 200, 200, 200, 403)),
    ("POST", "/api/v1/resolutions"): api(admins(201, json=resolution_data())),
    ("GET", "/api/v1/resolutions/<int:resolution_id>"): api(Row(LOGIN, 200, 200, 200, 403)),
    ("PATCH", "/api/v1/resolutions/<int:resolution_id>"): api(
        admins(409, json={"title": "Renamed"})
    ),
    ("DELETE", "/api/v1/resolutions/<int:resolution_id>"): api(admins(409)),
    ("POST", "/api/v1/resolutions/<int:resolution_id>/announce"): api(admins(409)),
    ("POST", "/api/v1/resolutions/<int:resolution_id>/ballots"): api(
        Row(LOGIN, 403, 409, 409, 403, json={"choice": "yes"})
    ),
    ("GET", "/api/v1/resolutions/<int:resolution_id>/ballot"): api(Row(LOGIN, 403, 200, 200, 403)),
    ("POST", "/api/v1/resolutions/<int:resolution_id>/proxy"): api(
        Row(LOGIN, 403, 422, 422, 403, json={"proxy_member": "M-99999"})
    ),
    ("DELETE", "/api/v1/resolutions/<int:resolution_id>/proxy"): api(
        Row(LOGIN, 403, 404, 404, 403)
    ),
    ("GET", "/api/v1/resolutions/<int:resolution_id>/result"): api(Row(LOGIN, 409, 409, 409, 403)),
}

# Which roles have an object of their own for each kind of URL parameter.
HAS_OWN = {
    "member_id": (RESELLER, MEMBER),
    "transaction_id": (RESELLER, MEMBER),
    "notice_id": (RESELLER, MEMBER),
    "payout_id": (RESELLER, MEMBER),
    "job_id": (RESELLER, MEMBER, CUSTOMER),
    "token_id": (ADMIN, RESELLER, MEMBER, CUSTOMER),
    "notification_id": (ADMIN, RESELLER, MEMBER, CUSTOMER),
    "token": (ADMIN, RESELLER, MEMBER, CUSTOMER),
    "host_id": (),
    "webspace_id": (RESELLER, MEMBER, CUSTOMER),
    "domain_id": (RESELLER, MEMBER, CUSTOMER),
    "database_id": (RESELLER, MEMBER, CUSTOMER),
    "user_id": (RESELLER, MEMBER, CUSTOMER),
    "login_id": (RESELLER,),
    "period_id": (),
    "pool_id": (),
    "invoice_id": (RESELLER, MEMBER),
    "account_id": (RESELLER, MEMBER),
    "mandate_id": (RESELLER, MEMBER),
    "debit_id": (),
    "server_id": (RESELLER, CUSTOMER),
    "server_user_id": (RESELLER, CUSTOMER),
    "key_id": (RESELLER, CUSTOMER),
    "port_id": (RESELLER, CUSTOMER),
    "room_id": (RESELLER, MEMBER),
    "share_id": (RESELLER, MEMBER),
    "slug": (RESELLER, MEMBER),
    "ticket": (RESELLER, MEMBER),
    "tenant_id": (),
    "bbb_server_id": (),
    "resolution_id": (),
    "item_id": (),
    "attachment_id": (),
}
# The kinds where a customer's reseller has objects serving other customers.
HAS_SIBLING = {
    kind: (CUSTOMER,)
    for kind in (
        "job_id",
        "webspace_id",
        "domain_id",
        "database_id",
        "user_id",
        "login_id",
        "server_id",
        "server_user_id",
        "key_id",
        "port_id",
    )
}
PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def object_parameters(rule: str) -> list[str]:
    return [name for name in PARAMETER.findall(rule) if name != "change"]


def cases():
    for method, rule in TABLE:
        kinds = object_parameters(rule)
        for role in ROLES:
            if not kinds:
                yield pytest.param(method, rule, role, None, id=f"{method} {rule} {role}")
                continue
            for owner in (OWN, OTHER, SIBLING):
                if owner == OWN and not all(role in HAS_OWN[kind] for kind in kinds):
                    continue
                if owner == SIBLING and not all(
                    role in HAS_SIBLING.get(kind, ()) for kind in kinds
                ):
                    continue
                yield pytest.param(method, rule, role, owner, id=f"{method} {rule} {role} {owner}")


def _ed25519_line() -> str:
    public = Ed25519PrivateKey.generate().public_key()
    return public.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


class World:
    """The objects one case needs, made on first use inside the test's transaction."""

    def __init__(self, role: str):
        self.role = role

    @cached_property
    def user(self):
        with acting("cli"):
            if self.role == ANONYMOUS:
                return None
            if self.role in (MEMBER, RESELLER):
                member = coop.create_member(
                    name="Own Member", email="own@example.org", prefix="own"
                )
                user = member.users[0]
                if self.role == RESELLER:
                    user.role = Role.RESELLER
                    db.session.commit()
                return user
            if self.role == CUSTOMER:
                return accounts.create_user(
                    "customer@example.org", Role.CUSTOMER, reseller=self.reseller
                )
            return accounts.create_user("admin@example.org", Role.ADMIN)

    @cached_property
    def reseller(self):
        """The customer's reseller."""
        with acting("cli"):
            reseller = coop.create_member(
                name="Reseller", email="seller@example.org", prefix="sel"
            ).users[0]
            reseller.role = Role.RESELLER
            db.session.commit()
        return reseller

    @cached_property
    def other(self):
        """Another member's login."""
        with acting("cli"):
            return coop.create_member(
                name="Other Member", email="other@example.org", prefix="oth"
            ).users[0]

    @cached_property
    def sibling(self):
        """Another customer of the customer's reseller."""
        with acting("cli"):
            return accounts.create_user(
                "sibling@example.org", Role.CUSTOMER, reseller=self.reseller
            )

    def owner(self, owner: str):
        return {OWN: self.user, OTHER: self.other, SIBLING: self.sibling}[owner]

    def _served(self, owner: str):
        """For a customer's case, the customer a reseller's webspace serves: the caller, its
        reseller's other customer, or another reseller's customer."""
        if self.role != CUSTOMER:
            return None
        return self.other_customer if owner == OTHER else self.owner(owner)

    def member_id(self, owner: str) -> int:
        return self.owner(owner).member_id

    def login_id(self, owner: str) -> int:
        """A customer account: the reseller's own, another reseller's, or its sibling."""
        if owner == SIBLING:
            return self.sibling.id
        reseller = self.user if owner == OWN else self.other
        with acting("cli"):
            reseller.role = Role.RESELLER
            db.session.commit()
            return accounts.create_user(
                f"kept-{owner}@example.org", Role.CUSTOMER, reseller=reseller
            ).id

    def token_id(self, owner: str) -> int:
        with acting("cli"):
            token, _ = accounts.create_api_token(self.owner(owner), "matrix")
        return token.id

    def notification_id(self, owner: str) -> int:
        made = notify(Kind.JOB_FAILED, [self.owner(owner)], "Matrix", "A notification.")
        db.session.commit()
        return made[0].id

    def transaction_id(self, owner: str) -> int:
        with acting("cli"):
            member = self.owner(owner).member
            return coop.record_share_transaction(member, "subscription", 2, "2025-01-01").id

    def _notice(self, owner: str):
        with acting("cli"):
            member = self.owner(owner).member
            coop.record_share_transaction(member, "subscription", 3, "2025-01-01")
            return notices.give_share_notice(member, 1)

    def notice_id(self, owner: str) -> int:
        return self._notice(owner).id

    def payout_id(self, owner: str) -> int:
        notice = self._notice(owner)
        with acting("worker"):
            settlement.settle_notice(notice)
        return settlement.payout_id_of(notice)

    def job_id(self, owner: str) -> int:
        """A canceled job: of the owner's member, or (a customer's) of a webspace serving it."""
        webspace = self._webspace(owner) if self._served(owner) else None
        with acting("cli"):
            job = provisioning.create_job(
                "ping",
                ["matrix"],
                resource=webspace,
                member_id=webspace.member_id if webspace else self.member_id(owner),
            )
            db.session.commit()
            # Canceled: a retry is possible, a second cancel is not.
            return provisioning.cancel_job(job).id

    @cached_property
    def host(self) -> Host:
        # Onboarding connects to the host: port 1 on the loopback interface refuses at once.
        host = Host(name="matrix", address="127.0.0.1", ssh_port=1, host_key=_ed25519_line())
        db.session.add(host)
        db.session.commit()
        return host

    def host_id(self, owner: str) -> int:
        return self.host.id

    @cached_property
    def webspace_host(self) -> Host:
        host = Host(
            name="web-matrix",
            address="127.0.0.1",
            ssh_port=1,
            state="ready",
            capacity=1000,
            host_key=_ed25519_line(),
        )
        db.session.add(host)
        db.session.commit()
        return host

    def _webspace(self, owner: str):
        """An active webspace of the owner's member, or one of the reseller's serving the
        customer."""
        self.webspace_host  # noqa: B018  (made on first use)
        served = self._served(owner)
        with acting("cli"):
            member = served.reseller.member if served else self.owner(owner).member
            webspace, job = webspaces.create_webspace(member)
            provisioning.finish_job(job, "successful", stats={})
            webspace.customer_user_id = served.id if served else None
            db.session.commit()
        return webspace

    def webspace_id(self, owner: str) -> int:
        return self._webspace(owner).id

    def _settled(self, resource):
        with acting("cli"):
            provisioning.finish_job(resource.last_job, "successful", stats={})
            db.session.commit()
        return resource.id

    def domain_id(self, owner: str) -> int:
        webspace = self._webspace(owner)
        with acting("cli", self.admin):
            domain, _ = domains.add_domain(webspace, f"{owner}.matrix.example")
        return self._settled(domain)

    def database_id(self, owner: str) -> int:
        webspace = self._webspace(owner)
        with acting("cli"):
            database, _, _ = databases.create_database(webspace, "mariadb", "matrix")
        return self._settled(database)

    def user_id(self, owner: str) -> int:
        webspace = self._webspace(owner)
        with acting("cli"):
            user, _ = sftp_users.create_sftp_user(webspace, "matrix", [ED25519_LINE])
        return self._settled(user)

    @cached_property
    def period(self):
        first = utcnow().date().replace(day=1)
        month = (first - timedelta(days=1)).strftime("%Y-%m")
        with acting("cli"):
            return billing.open_period(month)

    def period_id(self, owner: str) -> int:
        return self.period.id

    def pool_id(self, owner: str) -> int:
        with acting("cli"):
            return billing.add_pool(self.period, "Matrix", "10.00", "members").id

    def invoice_id(self, owner: str) -> int:
        """An issued invoice of the owner's member, with one line."""
        member = self.owner(owner).member
        member.admitted_on = self.period.month
        db.session.commit()
        with acting("cli"):
            billing.update_period(self.period, {"membership_fee": "2.00"})
            billing.run_period(self.period)
            issued = billing.issue(self.period)
        return next(invoice.id for invoice in issued if invoice.member_id == member.id)

    def account_id(self, owner: str) -> int:
        with acting("cli"):
            member = self.owner(owner).member
            return payments.add_bank_account(member, "Matrix", "DE89370400440532013000").id

    def mandate_id(self, owner: str) -> int:
        with acting("cli"):
            member = self.owner(owner).member
            account = payments.add_bank_account(member, "Matrix", "DE89370400440532013000")
            return payments.create_mandate(member, account, utcnow().date()).id

    def debit_id(self, owner: str) -> int:
        """A stored direct debit without invoices."""
        debit = DirectDebit(
            message_id="MATRIX-1", collection_date=utcnow().date(), total=0, count=0, xml="<x/>"
        )
        db.session.add(debit)
        db.session.commit()
        return debit.id

    @cached_property
    def own_customer(self):
        """The reseller's customer; shares for its servers go to the reseller's member."""
        with acting("cli"):
            coop.record_share_transaction(self.user.member, "subscription", 50, "2025-01-01")
            return accounts.create_user(
                "own-customer@example.org", Role.CUSTOMER, reseller=self.user
            )

    @cached_property
    def other_customer(self):
        """A customer of another reseller, whose member holds shares for its servers."""
        with acting("cli"):
            member = coop.create_member(
                name="Other Reseller", email="other-seller@example.org", prefix="osr"
            )
            coop.record_share_transaction(member, "subscription", 50, "2025-01-01")
            reseller = member.users[0]
            reseller.role = Role.RESELLER
            db.session.commit()
            return accounts.create_user(
                "other-customer@example.org", Role.CUSTOMER, reseller=reseller
            )

    def _customer(self, owner: str):
        if owner == OTHER:
            return self.other_customer
        if self.role == CUSTOMER:
            with acting("cli"):
                member = self.user.reseller.member
                coop.record_share_transaction(member, "subscription", 50, "2025-01-01")
            return self.sibling if owner == SIBLING else self.user
        return self.own_customer

    def _server(self, owner: str):
        """An active server of the owner's side on a pool host of its own."""
        customer = self._customer(owner)
        number = db.session.scalar(select(func.count()).select_from(Host)) + 1
        host = Host(
            name=f"pool-matrix-{number}",
            address="127.0.0.1",
            ssh_port=1,
            role="managed",
            state="ready",
            host_key=_ed25519_line(),
            facts={"cpus": 8, "memory_bytes": 2**36, "disk_bytes": 2**40},
        )
        db.session.add(host)
        db.session.commit()
        with acting("cli"):
            server, _ = servers.request_server(customer.reseller, customer.id, "medium", [])
            _, job = servers.approve_server(server)
        self._finished(job)
        return server

    def _finished(self, job):
        with acting("cli"):
            provisioning.finish_job(job, "successful", stats={})
            db.session.commit()

    def server_id(self, owner: str) -> int:
        return self._server(owner).id

    def _server_user(self, owner: str):
        server = self._server(owner)
        with acting("cli"):
            user, job = server_users.add_user(server, "matrix")
        self._finished(job)
        return user

    def server_user_id(self, owner: str) -> int:
        return self._server_user(owner).id

    def key_id(self, owner: str) -> int:
        user = self._server_user(owner)
        with acting("cli"):
            key, job = server_users.add_key(user, ED25519_LINE)
        self._finished(job)
        return key.id

    def port_id(self, owner: str) -> int:
        server = self._server(owner)
        with acting("cli"):
            opened, job = firewall.open_port(server, 8080)
        self._finished(job)
        return opened.id

    @cached_property
    def balancer(self) -> Host:
        """The BBBLB host the video jobs go to."""
        current_app.config["VIDEO_DOMAIN"] = "video.matrix.example"
        host = Host(
            name="bbblb-matrix",
            address="127.0.0.1",
            ssh_port=1,
            role="bbb-lb",
            state="ready",
            host_key=_ed25519_line(),
        )
        db.session.add(host)
        db.session.commit()
        return host

    def _tenant(self, owner: str):
        self.balancer  # noqa: B018  (made on first use)
        member = self.owner(owner).member
        tenant = video.tenant_of(member)
        if tenant is None:
            with acting("cli"):
                tenant, _, job = video.create_tenant(member)
            self._finished(job)
        return tenant

    def tenant_id(self, owner: str) -> int:
        return self._tenant(owner).id

    @cached_property
    def rooms(self) -> dict:
        return {}

    def _room(self, owner: str):
        """The owner's room, made once per case."""
        if owner not in self.rooms:
            tenant = self._tenant(owner)
            with acting("cli"):
                self.rooms[owner] = video_rooms.create_room(
                    tenant.member, {"name": f"{owner} room", "slug": f"{owner}-room"}
                )
        return self.rooms[owner]

    def room_id(self, owner: str) -> int:
        return self._room(owner).id

    def slug(self, owner: str) -> str:
        return self._room(owner).slug

    def ticket(self, owner: str) -> str:
        self._room(owner)
        return "not-a-ticket"

    def share_id(self, owner: str) -> int:
        room = self._room(owner)
        with acting("cli"):
            third = coop.create_member(name="Third", email="third@example.org", prefix="thd")
            return video_rooms.share_room(room, third.number).id

    def bbb_server_id(self, owner: str) -> int:
        self.balancer  # noqa: B018  (made on first use)
        with acting("cli"):
            server, job = video.add_server("bbb1.matrix.example", "matrixsecret0123456789")
        self._finished(job)
        return server.id

    @cached_property
    def resolution(self):
        """A resolution in its discussion, with one amendment and one attachment."""
        resolution = in_discussion()
        amendment = add_amendment(resolution, ItemState.PROPOSED)
        document = Attachment(
            resolution_id=resolution.id,
            filename="matrix.pdf",
            size=8,
            sha256="0" * 64,
            content=b"%PDF-1.7",
        )
        db.session.add(document)
        db.session.commit()
        return resolution, amendment, document

    def resolution_id(self, owner: str) -> int:
        return self.resolution[0].id

    def item_id(self, owner: str) -> int:
        return self.resolution[1].id

    def attachment_id(self, owner: str) -> int:
        return self.resolution[2].id

    @cached_property
    def admin(self):
        if self.role == ADMIN:
            return self.user
        with acting("cli"):
            return accounts.create_user("office@example.org", Role.ADMIN)

    def token(self, owner: str) -> str:
        clear = secrets.token_urlsafe(32)
        db.session.add(
            PasswordResetToken(
                user_id=self.owner(owner).id,
                token_hash=digest(clear),
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
        db.session.commit()
        return clear

    def url(self, rule: str, owner: str | None) -> str:
        def fill(match: re.Match) -> str:
            name = match.group(1)
            if name == "change":
                # The first choice the rule offers; for the members' status change, cancel.
                options = re.search(r"<any\(([^)]*)\):change>", rule).group(1).split(", ")
                return "cancel" if "cancel" in options else options[0]
            return str(getattr(self, name)(owner))

        return PARAMETER.sub(fill, rule)

    def client(self, app, api: bool):
        client = app.test_client()
        if self.user is None:
            return client
        if api:
            with acting("cli"):
                _, clear = accounts.create_api_token(self.user, "caller")
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {clear}"
        else:
            with client.session_transaction() as session:
                session["_user_id"] = self.user.get_id()
                session["_fresh"] = True
        return client


def test_every_rule_is_in_the_table(app):
    routed = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(IGNORED)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = sorted(routed - set(TABLE))
    stale = sorted(set(TABLE) - routed)
    assert not missing, f"add these to TABLE in {__name__}: {missing}"
    assert not stale, f"no such rules any more: {stale}"


@pytest.mark.parametrize(("method", "rule", "role", "owner"), list(cases()))
def test_access(app, method, rule, role, owner):
    row = TABLE[(method, rule)]
    expected = getattr(row, role)
    if isinstance(expected, dict):
        expected = expected[owner]
    world = World(role)
    is_api = rule.startswith("/api/")
    url = world.url(rule, owner)
    if row.host:
        world.host_id(owner)
    client = world.client(app, is_api)
    before = row_counts() if expected in DENIED else None

    if is_api:
        response = client.open(url, method=method, json=row.json)
    else:
        response = client.open(url, method=method, data=row.form)

    where = f"{method} {url} as {role} ({owner or 'no object'})"
    if isinstance(expected, Redirect):
        assert response.status_code == 302, f"{where}: {response.status_code}"
        location = urlsplit(response.headers["Location"]).path
        assert location.startswith(expected.to), f"{where}: redirected to {location}"
    else:
        assert response.status_code == expected, f"{where}: {response.status_code}"
    if is_api and response.status_code >= 400:
        assert set(response.json["error"]) == {"code", "message", "fields"}
    if before is not None:
        assert row_counts() == before, f"{where}: refused, but the database changed"


def row_counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        name: db.session.scalar(select(func.count()).select_from(table))
        for name, table in Base.metadata.tables.items()
    }


def test_lists_show_a_member_only_its_own_things(app):
    world = World(MEMBER)
    own_job, other_job = world.job_id(OWN), world.job_id(OTHER)
    world.transaction_id(OWN), world.transaction_id(OTHER)
    client = world.client(app, api=True)

    members = client.get("/api/v1/members?page_size=100").json
    jobs = client.get("/api/v1/jobs?page_size=100").json
    audit = client.get("/api/v1/audit?page_size=100").json
    tokens = client.get("/api/v1/account/tokens?page_size=100").json

    assert [row["id"] for row in members] == [world.user.member_id]
    assert [row["id"] for row in jobs] == [own_job]
    assert other_job not in {row["id"] for row in jobs}
    assert audit
    assert all(
        row["member_id"] == world.user.member_id or row["actor_id"] == world.user.id
        for row in audit
    )
    assert [row["name"] for row in tokens] == ["caller"]


def _usage_row(webspace):
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    return ledger_row(webspace, "traffic", 10, start)


def test_a_member_reads_only_its_own_usage(app):
    world = World(MEMBER)
    own = _usage_row(world._webspace(OWN))
    other_webspace = world._webspace(OTHER)
    other = _usage_row(other_webspace)
    client = world.client(app, api=True)

    listed = client.get("/api/v1/usage?page_size=100").json
    assert [row["id"] for row in listed] == [own.id]
    assert client.get(f"/api/v1/usage?webspace={other_webspace.id}").status_code == 404
    page = world.client(app, api=False).get(f"/webspaces/{own.webspace_id}/usage")
    assert page.status_code == 200
    assert own.resource_name in page.text and other.resource_name not in page.text
    admin = World(ADMIN).client(app, api=True).get("/api/v1/usage?page_size=100").json
    assert {row["id"] for row in admin} == {own.id, other.id}


@pytest.mark.parametrize(
    ("role", "owners", "readable"),
    [
        (CUSTOMER, (OWN, SIBLING, OTHER), {OWN}),
        (RESELLER, (OWN, OTHER), {OWN}),
        (MEMBER, (OTHER,), set()),
    ],
)
def test_a_servers_usage_is_read_by_its_reseller_and_its_customer_only(app, role, owners, readable):
    world = World(role)
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    servers_by = {owner: world._server(owner) for owner in owners}
    rows = {
        owner: server_row(server, "server_hours", 3600, start)
        for owner, server in servers_by.items()
    }
    client = world.client(app, api=True)
    listed = {row["id"] for row in client.get("/api/v1/usage?page_size=100").json}
    assert listed == {rows[owner].id for owner in readable}
    for owner, server in servers_by.items():
        answer = client.get(f"/api/v1/usage?server={server.id}")
        if owner in readable:
            assert [row["id"] for row in answer.json] == [rows[owner].id]
        else:
            assert answer.status_code == 404, owner
