"""The job queue: Huey on SQLite in the instance folder, or on Redis when PANEL_REDIS_URL is set."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    """The app's queue; the features add their tasks with add_task."""
    queue = make_queue(app.config)
    app.extensions["queue"] = queue
    app.extensions["queue_tasks"] = {}
    return queue


def add_task(app: Flask, name: str, define: Callable[[Huey, Flask], Any]) -> None:
    """A feature's task: DEFINE makes it on the app's queue; app.extensions["queue_tasks"]
    finds it by NAME."""
    app.extensions["queue_tasks"][name] = define(app.extensions["queue"], app)
