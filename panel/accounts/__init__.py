"""Users, roles, login, two-factor authentication, password reset and API tokens."""
