"""The four roles and what each may do in general; object-level checks live in access.py."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    RESELLER = "reseller"
    MEMBER = "member"
    CUSTOMER = "customer"


ROLE_VALUES = tuple(role.value for role in Role)
MEMBER_ROLES = (Role.MEMBER, Role.RESELLER)
