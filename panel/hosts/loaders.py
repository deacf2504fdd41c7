"""The one way the pages and the API load a host by id, with the access check and one 404 in
the request's language."""

from flask_babel import lazy_gettext as _l

from panel.core.access import load
from panel.hosts.models import Host


def load_host(host_id: int, *, change: bool = False) -> Host:
    return load(Host, host_id, _l("No such host."), change=change)
