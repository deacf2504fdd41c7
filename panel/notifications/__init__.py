"""Notifications: what went wrong (for admins) or concerns a member, kept in the panel and
mailed to whoever has the kind switched on."""
