"""The machine's kernel settings that the hosts share: the protection of links and files in
world-writable folders is the kernel's, one switch for every namespace, and the hosts' base
job refuses a kernel without it (playbooks/roles/base/tasks/links.yml). Debian turns these on
(procps' protect-links.conf); a machine that has them off gets Debian's values at `up`, and
keeps them: they only refuse more."""

from pathlib import Path

SYSCTL_DIR = Path("/proc/sys/fs")
# The least each must be, as Debian sets them.
PROTECTIONS = {
    "protected_hardlinks": 1,
    "protected_symlinks": 1,
    "protected_regular": 2,
    "protected_fifos": 1,
}


def protect_links(sysctl_dir: Path = SYSCTL_DIR) -> list[str]:
    """Raise each protection to Debian's value where it is lower; the ones raised."""
    raised = []
    for name, least in PROTECTIONS.items():
        path = sysctl_dir / name
        if int(path.read_text()) < least:
            path.write_text(f"{least}\n")
            raised.append(f"fs.{name}={least}")
    return raised
