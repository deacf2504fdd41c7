"""The member's webspaces, domains, databases and SFTP users in its data export: settings and
states, never a database password or a domain's verification token."""

from sqlalchemy import select

from panel.core.export import fields_of
from panel.extensions import db
from panel.webspaces.models import Database, Domain, SftpUser, Webspace

PART_FIELDS = ("id", "webspace_id", "state", "desired", "state_reason", "created_at")
WEBSPACE_FIELDS = (
    "id",
    "name",
    "state",
    "desired",
    "state_reason",
    "max_domains",
    "max_databases",
    "max_users",
    "quota_mib",
    "uid",
    "customer_user_id",
    "created_at",
    "suspended_at",
    "deleted_at",
    "purge_after",
    "purged_at",
)
DOMAIN_FIELDS = (
    *PART_FIELDS,
    "name",
    "www_alias",
    "redirect",
    "document_root",
    "tls",
    "verified_at",
    "tls_not_after",
)
DATABASE_FIELDS = (*PART_FIELDS, "engine", "name", "purge_after")
SFTP_USER_FIELDS = (*PART_FIELDS, "name", "public_keys", "chroot")


def _of(model, member) -> list:
    return db.session.scalars(
        select(model).where(model.member_id == member.id).order_by(model.id)
    ).all()


def webspaces_part(member) -> dict:
    return {
        "webspaces.json": [
            {**fields_of(webspace, WEBSPACE_FIELDS), "host": webspace.host.name}
            for webspace in _of(Webspace, member)
        ],
        "domains.json": [fields_of(domain, DOMAIN_FIELDS) for domain in _of(Domain, member)],
        "databases.json": [
            fields_of(database, DATABASE_FIELDS) for database in _of(Database, member)
        ],
        "sftp_users.json": [fields_of(user, SFTP_USER_FIELDS) for user in _of(SftpUser, member)],
    }
