"""The cooperative's office: members, the share ledger, and (later) resolutions and votes."""
