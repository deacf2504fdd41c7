"""The cooperative joins the app: the member register's pages, the dashboard's cards of
members by status (admins) and of one's own membership, members in the admins' search, the
periodic settlement of notices on shares and membership, and the member record with its shares
in the member's data export."""

from flask import Flask

from panel.coop import export, notice_views, search, tasks, views
from panel.core.cards import Card, add_card
from panel.core.export import ExportPart, add_export_part
from panel.core.queue import add_task
from panel.core.search import add_finder


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(notice_views.bp)
    add_card(
        app, "dashboard", Card("coop/_members_by_status.html", views.members_by_status_card, 10)
    )
    add_card(app, "dashboard", Card("coop/_own_membership.html", views.own_membership_card, 30))
    add_finder(app, search.MEMBERS)
    add_task(app, "settle_share_notices", tasks.register)
    add_export_part(app, ExportPart("membership", export.membership_part))
