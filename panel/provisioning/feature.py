"""Provisioning joins the app: the job pages, the queue task that runs a job, and the job
metrics."""

from flask import Flask

from panel.core.metrics import add_collector
from panel.core.queue import add_task
from panel.provisioning import metrics, tasks, views


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    add_task(app, "run_job", tasks.register)
    add_collector(app, metrics.JobCollector())
