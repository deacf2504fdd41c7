"""A member downloads all of its data as one ZIP archive."""
