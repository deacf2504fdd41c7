"""The /api/v1 JSON API: bearer tokens, errors in the contract's shape, OpenAPI from the code."""
