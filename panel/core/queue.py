"""The job queue: Huey on SQLite in the instance folder, or on Redis when PANEL_REDIS_URL is set."""

from pathlib import Path

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey

from panel.config import write_private_file


def make_queue(config: dict) -> Huey:
    if config.get("REDIS_URL"):
        return RedisHuey("panel", url=config["REDIS_URL"])
    path = Path(config["INSTANCE_PATH"]) / "queue.db"
    # Created empty first so that SQLite keeps our private mode for it and its journals.
    if not path.exists():
        write_private_file(path, b"")
    return SqliteHuey("panel", filename=str(path))


def init_app(app: Flask) -> Huey:
    from panel.billing import tasks as billing_tasks
    from panel.metering import tasks as metering_tasks
    from panel.provisioning import tasks
    from panel.webspaces import tasks as webspace_tasks

    queue = make_queue(app.config)
    app.extensions["queue"] = queue
    app.extensions["queue_tasks"] = {
        "run_job": tasks.register(queue, app),
        "webspace_housekeeping": webspace_tasks.register(queue, app),
        "collect_usage": metering_tasks.register(queue, app),
        "billing_monthly": billing_tasks.register(queue, app),
    }
    return queue
