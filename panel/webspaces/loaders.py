"""The one way the pages and the API load a webspace or one of its parts by id: with the access
check, and the same 404 (in the request's language) for what is missing and what is not the
user's."""

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l

from panel.core.access import load
from panel.webspaces.models import Database, Domain, SftpUser, Webspace


def load_webspace(webspace_id: int, *, change: bool = False, options: Sequence = ()) -> Webspace:
    return load(Webspace, webspace_id, _l("No such webspace."), change=change, options=options)


def load_domain(domain_id: int, *, change: bool = False) -> Domain:
    return load(Domain, domain_id, _l("No such domain."), change=change)


def load_database(database_id: int, *, change: bool = False) -> Database:
    return load(Database, database_id, _l("No such database."), change=change)


def load_sftp_user(user_id: int, *, change: bool = False) -> SftpUser:
    return load(SftpUser, user_id, _l("No such SFTP user."), change=change)
