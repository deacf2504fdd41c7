"""An invoice line as a value. A billing run makes lines, the invoice keeps them as rows
(models.InvoiceLine), and documents, pages and the API read them back as lines."""

from dataclasses import dataclass, fields, replace
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """One charge and how it came about: for a share of a cost pool, the pool, its amount, the
    key's total usage across the cooperative, this member's usage, the unit price and the exact
    share before rounding; its position and VAT once it is on a draft."""

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
    position: int = 0
    vat_percent: Decimal = ZERO
    vat: Decimal = ZERO

    @classmethod
    def fixed(cls, description: str, quantity: Decimal, unit: str, amount: Decimal) -> "Line":
        """A line of a set amount that shares out no pool: a fee, the reserve, a correction."""
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

    def taxed(self, position: int, vat_percent: Decimal, vat: Decimal) -> "Line":
        return replace(self, position=position, vat_percent=vat_percent, vat=vat)

    def columns(self) -> dict:
        """The line as the columns of its row."""
        return {name: getattr(self, name) for name in COLUMNS}


# Every field but the pool's name, which the row reaches through its pool.
COLUMNS = tuple(field.name for field in fields(Line) if field.name != "pool_name")
