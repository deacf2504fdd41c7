"""Job metrics, read from the database at scrape time so every worker's jobs are counted."""

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from sqlalchemy import func, select

from panel.core.models import utcnow
from panel.extensions import db
from panel.provisioning.models import Job, JobStatus

DURATION_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class JobCollector:
    def collect(self):
        jobs = GaugeMetricFamily(
            "panel_jobs", "Jobs by status and action.", labels=["status", "action"]
        )
        for status, action, count in db.session.execute(
            select(Job.status, Job.action, func.count()).group_by(Job.status, Job.action)
        ):
            jobs.add_metric([status, action], count)
        yield jobs

        durations = [
            (finished - started).total_seconds()
            for started, finished in db.session.execute(
                select(Job.started_at, Job.finished_at).where(
                    Job.started_at.is_not(None), Job.finished_at.is_not(None)
                )
            )
        ]
        buckets = [
            (str(bound), sum(1 for value in durations if value <= bound))
            for bound in DURATION_BUCKETS
        ]
        buckets.append(("+Inf", len(durations)))
        histogram = HistogramMetricFamily(
            "panel_job_duration_seconds", "Time from a job's start to its end."
        )
        histogram.add_metric([], buckets, sum_value=sum(durations))
        yield histogram

        queued = select(Job.queued_at).where(Job.status == JobStatus.QUEUED)
        depth = db.session.scalar(select(func.count()).select_from(queued.subquery())) or 0
        oldest = db.session.scalar(
            select(func.min(Job.queued_at)).where(Job.status == JobStatus.QUEUED)
        )
        yield GaugeMetricFamily("panel_queue_depth", "Jobs waiting for a worker.", value=depth)
        yield GaugeMetricFamily(
            "panel_oldest_queued_job_age_seconds",
            "How long the oldest waiting job has waited (0 when none waits).",
            value=(utcnow() - oldest).total_seconds() if oldest else 0,
        )
