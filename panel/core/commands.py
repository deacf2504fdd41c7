"""What a feature's commands need from the `panel` command: a new app to run in. The `panel`
command hands its app factory to them as click's context object, since they sit below it."""

import click
from flask import Flask


def new_app() -> Flask:
    return click.get_current_context().obj()
