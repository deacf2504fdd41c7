"""Invoice lines as values. A billing run works out charges, a draft puts them on the invoice as
rows (models.InvoiceLine) at a position with their VAT, and documents, pages and the API read
the rows back as lines."""

from dataclasses import dataclass, fields
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Charge:
    """What one line charges and how it came about: for a share of a cost pool, the pool, its
    amount, the key's total usage across the cooperative, this member's usage, the unit price
    and the exact share before rounding."""

    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    exact_net: Decimal
    net: Decimal
    pool_id: int | None = None
    pool_name: str | None = None
    key: str = ""
    pool_amount: Decimal | None = None
    key_total: Decimal | None = None
    # The managed server the line charges for, when its pool is keyed by the servers' meters.
    server_id: int | None = None

    @classmethod
    def fixed(cls, description: str, quantity: Decimal, unit: str, amount: Decimal) -> "Charge":
        """A set amount that shares out no pool: a fee, the reserve, a correction."""
        return cls(
            description=description,
            quantity=quantity,
            unit=unit,
            unit_price=amount / quantity if quantity else ZERO,
            exact_net=amount,
            net=amount,
        )

    @property
    def rounding(self) -> Decimal:
        return self.net - self.exact_net

    def row(self, position: int, vat_percent: Decimal, vat: Decimal) -> dict:
        """The columns of its row on a draft, at POSITION with its VAT (all but the invoice's
        id). Spelled out: a run writes tens of thousands of them."""
        return {
            "position": position,
            "description": self.description,
            "quantity": self.quantity,
            "unit": self.unit,
            "unit_price": self.unit_price,
            "exact_net": self.exact_net,
            "net": self.net,
            "pool_id": self.pool_id,
            "key": self.key,
            "pool_amount": self.pool_amount,
            "key_total": self.key_total,
            "server_id": self.server_id,
            "vat_percent": vat_percent,
            "vat": vat,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Line(Charge):
    """A charge on an invoice: its position and its share of the invoice's VAT."""

    position: int
    vat_percent: Decimal
    vat: Decimal


# The columns a line's row has of its own; the pool's name it reaches through its pool.
COLUMNS = tuple(field.name for field in fields(Line) if field.name != "pool_name")
