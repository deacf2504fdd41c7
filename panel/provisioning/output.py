"""A job's output as a page shows it: without the terminal's colour and cursor codes."""

import re

# ECMA-48 control sequences (colours like ESC[0;31m) and the two-byte escapes.
ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")


def strip_ansi(text: str | None) -> str:
    return ANSI.sub("", text or "")
