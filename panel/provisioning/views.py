"""Jobs: the list (filterable), one job with its live output, maintenance runs (on a host's
page too), cancel, retry."""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from panel.core.access import can_change, require_role
from panel.core.errors import MAX_ID, PanelError
from panel.core.forms import query_number, query_text, show_errors
from panel.core.labels import label
from panel.core.listing import page_of
from panel.core.roles import Role
from panel.core.validators import clean_positive_int, is_local_path
from panel.extensions import db
from panel.hosts.loaders import load_host
from panel.hosts.models import Host, HostState
from panel.hosts.views import host_page
from panel.provisioning import forms, operations
from panel.provisioning.actions import ACTIONS
from panel.provisioning.loaders import load_job
from panel.provisioning.models import Job, JobEvent, JobStatus
from panel.provisioning.output import strip_ansi
from panel.provisioning.progress import describe, progress_of
from panel.provisioning.queries import JOB_LIST, job_query

bp = Blueprint("provisioning", __name__)
TEXT_FILTERS = ("status", "action", "host")


@bp.get("/jobs")
@login_required
def jobs():
    filters = {name: query_text(name, 64) for name in TEXT_FILTERS}
    filters["requested_by"] = query_number("requested_by", MAX_ID)
    filters = {name: value for name, value in filters.items() if value}
    page = page_of(job_query(current_user, filters), JOB_LIST, **filters)
    return render_template(
        "provisioning/jobs.html",
        page=page,
        jobs=page.rows,
        filters=filters,
        statuses=[status.value for status in JobStatus],
        actions=sorted(ACTIONS),
    )


def _step(job: Job) -> str:
    """Where the job is, as the resources' pages say it; empty once it has finished."""
    progress = progress_of(job)
    return describe(progress) if progress else ""


def _event_rows(job: Job, after: int) -> list[JobEvent]:
    return db.session.scalars(
        select(JobEvent)
        .where(JobEvent.job_id == job.id, JobEvent.counter > after)
        .order_by(JobEvent.counter)
    ).all()


@bp.get("/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    record = load_job(job_id)
    return render_template(
        "provisioning/job.html",
        job=record,
        events=_event_rows(record, 0),
        step=_step(record),
        may_retry=can_change(current_user, record),
    )


@bp.get("/jobs/<int:job_id>/events.json")
@login_required
def job_events(job_id: int):
    """What the job page polls for: the job's state and the events after a counter."""
    record = load_job(job_id)
    after = request.args.get("after", "0")
    events = _event_rows(
        record, 0 if after == "0" else clean_positive_int("after", after, maximum=MAX_ID)
    )
    return jsonify(
        status=record.status,
        status_label=label(record.status),
        step=_step(record),
        reason=record.reason,
        finished=record.finished,
        events=[
            {
                "counter": event.counter,
                "event": event.event,
                "host": event.host,
                "task": event.task,
                "changed": event.changed,
                "failed": event.failed,
                "stdout": strip_ansi(event.stdout),
            }
            for event in events
        ],
    )


@bp.post("/jobs/<int:job_id>/cancel")
@login_required
def job_cancel(job_id: int):
    require_role(Role.ADMIN)
    try:
        operations.cancel_job(load_job(job_id))
    except PanelError as exc:
        flash(exc.message, "error")
    return redirect(url_for("provisioning.job", job_id=job_id))


@bp.post("/jobs/<int:job_id>/retry")
@login_required
def job_retry(job_id: int):
    # Looked up outside the try: a job the user may not see is a 404, not a flashed message;
    # one it only reads (a customer's) a 403.
    record = load_job(job_id, change=True)
    # A retry from the page that showed the failure returns there.
    back = request.form.get("next", "")
    back = back if is_local_path(back) else ""
    try:
        retry = operations.retry_job(record)
    except PanelError as exc:
        flash(exc.message, "error")
        return redirect(back or url_for("provisioning.job", job_id=job_id))
    if back:
        flash(_("Trying again; the change is being made."), "success")
        return redirect(back)
    return redirect(url_for("provisioning.job", job_id=retry.id))


@bp.route("/admin/maintenance", methods=["GET", "POST"])
@login_required
def maintenance():
    require_role(Role.ADMIN)
    hosts = db.session.scalars(select(Host).where(Host.state != HostState.RETIRED)).all()
    groups = sorted({group for host in hosts for group in (host.groups or [])})
    form = forms.MaintenanceForm(targets=sorted(host.name for host in hosts) + groups)
    if form.validate_on_submit():
        try:
            started = operations.run_maintenance(form.action.data, form.hosts.data)
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Job %(id)s queued.", id=started.id), "success")
            return redirect(url_for("provisioning.job", job_id=started.id))
    status = 422 if form.errors else 200
    return render_template("provisioning/maintenance.html", form=form), status


def host_jobs_card(host: Host, job_form: forms.HostJobForm | None = None, **given) -> dict:
    """The host page's card: a maintenance playbook to run there, and its recent jobs."""
    recent = db.session.scalars(select(Job).order_by(Job.id.desc()).limit(200)).all()
    return {
        "host": host,
        "jobs": [job for job in recent if host.name in (job.hosts or [])][:20],
        "job_form": job_form or forms.HostJobForm(formdata=None, action="base"),
    }


@bp.post("/admin/hosts/<int:host_id>/jobs")
@login_required
def host_job(host_id: int):
    """A maintenance playbook on this host, e.g. its baseline (firewall included) again."""
    require_role(Role.ADMIN)
    record = load_host(host_id)
    form = forms.HostJobForm()
    if form.validate_on_submit():
        try:
            started = operations.run_maintenance(form.action.data, [record.name])
        except PanelError as exc:
            show_errors(form, exc)
        else:
            flash(_("Job %(id)s queued.", id=started.id), "success")
            return redirect(url_for("provisioning.job", job_id=started.id))
    return host_page(record, 422, job_form=form)
