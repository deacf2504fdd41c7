"""The job queue: Huey on SQLite in the instance folder, or on Redis when PANEL_REDIS_URL is set."""

from pathlib import Path

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey


def make_queue(config: dict) -> Huey:
    if config.get("REDIS_URL"):
        return RedisHuey("panel", url=config["REDIS_URL"])
    return SqliteHuey("panel", filename=str(Path(config["INSTANCE_PATH"]) / "queue.db"))


def init_app(app: Flask) -> Huey:
    queue = make_queue(app.config)
    app.extensions["queue"] = queue
    return queue
