"""bandit finds nothing in the shipped code (the panel, the host agent and the playbooks' own
module; not the testbed, a developer's tool in testbed/), as `make lint` runs it; each false
positive is marked at its line with the reason in words."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ["-m", "bandit", "-r", "panel", "agents", "playbooks/library"]
NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")


def test_bandit_finds_nothing():
    done = subprocess.run(
        [sys.executable, *COMMAND, "-q", "-f", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    report = json.loads(done.stdout)
    assert report["errors"] == []
    found = [
        f"{item['filename']}:{item['line_number']} {item['test_id']} {item['issue_text']}"
        for item in report["results"]
    ]
    assert found == []
    # Nothing skipped by a bare nosec, and no nosec that bandit could not match to a test.
    assert "WARNING" not in done.stderr, done.stderr


def test_every_nosec_names_its_test_and_gives_a_reason():
    unexplained = []
    for path in [*(ROOT / "panel").rglob("*.py"), *(ROOT / "agents").rglob("*.py")]:
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            match = NOSEC.search(line)
            if not match:
                continue
            named = re.match(r"\s*(B\d+(\s+B\d+)*)\s*(#\s*(?P<reason>\S.*))?$", match["rest"])
            above = lines[number - 1].strip() if number else ""
            explained = named and (named["reason"] or above.startswith(f"# Bandit {named[1]}"))
            if not explained:
                unexplained.append(f"{path.relative_to(ROOT)}:{number + 1}: {line.strip()}")
    assert unexplained == []
