"""What the secrecy tests look for in a database's rows: a voter's identity beside its secret."""

import json
from dataclasses import dataclass, field

CHOICE_WORDS = {"yes", "no", "abstain"}


@dataclass
class Voter:
    """A voter's identity and the secrets of its ballots (every receipt it ever had)."""

    member_id: int
    number: str
    email: str
    receipts: set[str] = field(default_factory=set)

    def named_in(self, text: str) -> bool:
        return self.number in text or self.email in text

    def secret_in(self, text: str) -> bool:
        return any(receipt in text or receipt.replace("-", "") in text for receipt in self.receipts)


def flat(value) -> str:
    """A row's value as text, JSON documents included."""
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return "" if value is None else str(value)


def values(document) -> list:
    """Every leaf value of a JSON document (audit before/after)."""
    if isinstance(document, dict):
        return [leaf for item in document.values() for leaf in values(item)]
    if isinstance(document, list):
        return [leaf for item in document for leaf in values(item)]
    return [document]
