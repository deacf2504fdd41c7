"""The managed servers the member runs for its customers, in its data export: their settings,
logins with public keys, and open ports."""

from sqlalchemy import select

from panel.core.export import fields_of
from panel.extensions import db
from panel.servers.models import Server

SERVER_FIELDS = (
    "id",
    "hostname",
    "customer_id",
    "size",
    "stacks",
    "state",
    "desired",
    "state_reason",
    "created_at",
    "allocated_at",
    "released_at",
    "release_mode",
    "archive_purge_after",
)
KEY_FIELDS = ("fingerprint", "public_key", "comment", "created_at")


def servers_part(member) -> dict:
    servers = db.session.scalars(
        select(Server).where(Server.member_id == member.id).order_by(Server.id)
    ).all()
    return {
        "servers.json": [
            {
                **fields_of(server, SERVER_FIELDS),
                "users": [
                    {
                        "name": user.name,
                        "sudo": user.sudo,
                        "keys": [fields_of(key, KEY_FIELDS) for key in user.keys],
                    }
                    for user in server.users
                ],
                "ports": [{"port": port.port, "proto": port.proto} for port in server.ports],
            }
            for server in servers
        ]
    }
