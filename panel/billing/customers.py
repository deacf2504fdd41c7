"""A reseller's invoice per customer: the lines that charge for a managed server count for the
customer the server runs for."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from panel.accounts.models import User
from panel.billing.models import Invoice, InvoiceLine
from panel.extensions import db
from panel.servers.models import Server


@dataclass(frozen=True)
class CustomerShare:
    customer: User
    servers: int
    net: Decimal


def customer_shares(invoice: Invoice) -> list[CustomerShare]:
    """The net of the invoice's server lines per customer, largest first."""
    rows = db.session.execute(
        select(User, func.count(func.distinct(Server.id)), func.sum(InvoiceLine.net))
        .join(Server, InvoiceLine.server_id == Server.id)
        .join(User, Server.customer_id == User.id)
        .where(InvoiceLine.invoice_id == invoice.id)
        .group_by(User.id)
    ).all()
    shares = [CustomerShare(user, servers, Decimal(net)) for user, servers, net in rows]
    return sorted(shares, key=lambda share: (-share.net, share.customer.id))
