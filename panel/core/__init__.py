"""Shared building blocks: base model, money, roles and access, audit, secrets, errors."""
