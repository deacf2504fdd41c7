"""What the tests of BBBLB on a testbed host share: its domain, a certificate for that domain and
every name below it (the tenants' realms) signed by a throwaway CA that BBBLB and the panel
trust, and readings of BBBLB's own state on the host."""

import json
from dataclasses import dataclass
from pathlib import Path

from tls_files import TestCa

DOMAIN = "video.test"
# BBBLB's command line on the host, as roles/bbblb installs it (run as BBBLB's user).
BBBLB_COMMAND = "/usr/local/sbin/bbblb"


@dataclass
class Pki:
    """The tests' CA and the certificate it signed for DOMAIN and every name below it."""

    ca: TestCa
    ca_pem: str
    certificate_pem: str
    key_pem: str
    ca_file: Path
    certificate_file: Path
    key_file: Path


def make_pki(folder: Path) -> Pki:
    ca = TestCa(folder)
    files = ca.server(DOMAIN, f"*.{DOMAIN}")
    certificate_file, key_file = Path(files.cert_file), Path(files.key_file)
    return Pki(
        ca,
        Path(ca.ca_file).read_text(),
        certificate_file.read_text(),
        key_file.read_text(),
        Path(ca.ca_file),
        certificate_file,
        key_file,
    )


def exported_state(output: str) -> dict:
    """The cluster state in the output of `bbblb state export`."""
    return json.loads(output)


def sql_command(query: str) -> list[str]:
    """The command that runs QUERY on BBBLB's database on its host, one row a line, columns
    separated by |."""
    return ["runuser", "-u", "postgres", "--", "psql", "-XAtq", "-d", "bbblb", "-c", query]
