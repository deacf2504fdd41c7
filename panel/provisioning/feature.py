"""Provisioning joins the app: the job pages, the queue task that runs a job, the job metrics,
the card of a host's jobs on its page, the setup of each host onboarding reached, whose
outcome makes the host ready or failed, the jobs an outcome made, queued once committed, and
for the templates: a resource's failure in plain words, a job's progress, output without ANSI
codes."""

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from panel.core.cards import Card, add_card
from panel.core.metrics import add_collector
from panel.core.queue import add_task
from panel.hosts.operations import baseline_wanted
from panel.provisioning import (
    failures,
    metrics,
    onboarding,
    operations,
    outcomes,
    output,
    progress,
    tasks,
    views,
)
from panel.provisioning.actions import action_label


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.add_template_global(failures.failure_of, "failure_of")
    app.add_template_global(progress.progress_of, "progress_of")
    app.add_template_global(progress.describe, "describe_progress")
    app.add_template_filter(output.strip_ansi, "strip_ansi")
    app.add_template_filter(action_label, "action")
    add_task(app, "run_job", tasks.register)
    add_collector(app, metrics.JobCollector())
    add_card(app, "host", Card("provisioning/_host_jobs.html", views.host_jobs_card))
    baseline_wanted.connect(operations.queue_baseline)
    outcomes.register_outcome("Host", onboarding.HostJobs())
    for name, listener in (
        ("after_commit", operations.dispatch_committed),
        ("after_rollback", operations.forget_uncommitted),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
