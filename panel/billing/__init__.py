"""Cost-based billing: the cooperative's costs shared out over measured usage."""
