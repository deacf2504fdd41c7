"""The one way the pages and the API load a job by id, with the access check and one 404 in
the request's language."""

from flask_babel import lazy_gettext as _l

from panel.core.access import load
from panel.provisioning.models import Job


def load_job(job_id: int, *, change: bool = False) -> Job:
    return load(Job, job_id, _l("No such job."), change=change)
