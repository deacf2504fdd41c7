"""What `up` made, kept in the instance folder (testbed/state.json) for `status` and `down`,
with the hosts' pinned keys in testbed/known_hosts."""

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from panel.config import instance_path


@dataclass
class Host:
    name: str
    address: str
    ssh_port: int
    netns: str
    netns_path: str
    veth: str
    veth_peer: str
    pid: int
    pid_start: int
    cgroups: list[str]
    mounts: list[str]
    upper_dir: str
    host_key: str
    fingerprint: str
    boot_seconds: float | None = None
    # Testbeds from before there were suites booted bookworm images only.
    suite: str = "bookworm"
    image: str = ""


@dataclass
class State:
    bridge: str
    gateway: str
    hosts: list[Host] = field(default_factory=list)


def folder() -> Path:
    return instance_path() / "testbed"


def state_path() -> Path:
    return folder() / "state.json"


def known_hosts_path() -> Path:
    return folder() / "known_hosts"


def load() -> State | None:
    path = state_path()
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    hosts = [Host(**_known(Host, host)) for host in data.pop("hosts")]
    return State(**_known(State, data), hosts=hosts)


def _known(kind: type, data: dict) -> dict:
    """DATA without the keys an older state file has that KIND has not (its one image)."""
    names = {item.name for item in fields(kind)}
    return {name: value for name, value in data.items() if name in names}


def save(state: State) -> None:
    folder().mkdir(parents=True, exist_ok=True)
    path = state_path()
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(asdict(state), indent=2) + "\n")
    partial.replace(path)
    lines = [f"{host.address} {' '.join(host.host_key.split()[:2])}" for host in state.hosts]
    known_hosts_path().write_text("".join(line + "\n" for line in lines))


def forget() -> None:
    for path in (state_path(), known_hosts_path()):
        path.unlink(missing_ok=True)
