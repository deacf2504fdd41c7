"""Managed servers: whole pool hosts that resellers run for their customers."""
