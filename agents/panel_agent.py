#!/usr/bin/python3
"""The hosting panel's host agent: a Prometheus exporter of each webspace's usage on this host
(HTTP traffic and requests from nginx's logs, CPU of its systemd slice, disk, database sizes), on
a BBBLB host of each video tenant's participant time and BBBLB's view of its servers, and of its
own health.

Background threads collect; a scrape only reads the snapshot they last published. Counters are
written to the state file before they are published, so an exported value is never above the
persisted one and a restart continues from it. Runs on Debian's python3 with
python3-prometheus-client (0.16 and later). See README.md beside this file."""

import argparse
import contextlib
import errno
import functools
import hmac
import io
import json
import logging
import os
import re
import resource
import selectors
import shutil
import signal
import socket
import stat
import struct
import subprocess  # nosec B404  # runs fixed tools with argument lists, no shell
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

COLLECTORS = ("logs", "disk", "cpu", "databases")
# On only with --bbblb-database: BBBLB's usage and servers, read from its PostgreSQL database.
VIDEO = "video"
# The order of the published values' metrics in a scrape (the collectors' health follows).
SECTIONS = ("logs", "cpu", "disk", "databases", VIDEO)
GZIP_LEVEL = 6
# A gzip member's head (no name, no time) and the empty last block that ends its deflate data.
GZIP_HEAD = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
LAST_BLOCK = b"\x03\x00"
WEBSPACE_NAME = re.compile(r"[a-z]{3}[0-9]{2}")
# Below the home root: the SFTP/SSH logins' own /tmp, /var/tmp and /dev/shm, a folder named
# <webspace>-<login> in each of its folders (roles/webspace's webspace_login_tmp_root). They
# last from one session to the next, so they count as the webspace's disk space.
LOGIN_TMP = ".login-tmp"
STATE_VERSION = 1
READ_CHUNK = 1 << 20
SUBPROCESS_TIMEOUT = 60
STOP_TIMEOUT = 10
# The HTTP endpoint (MetricsServer): seconds a client has for its whole request head and for
# taking the answer, connections that may wait for their request at once, the largest head.
# Prometheus sends its request as soon as it has connected, and times out after 10 s itself.
REQUEST_TIMEOUT = 10.0
RESPONSE_TIMEOUT = 10.0
MAX_CONNECTIONS = 256
MAX_REQUEST_HEAD = 8192
ANSWER_THREADS = 4
LISTEN_BACKLOG = 128
READ_SIZE = 4096
IDLE_POLL = 1.0

# log_format webspace (playbooks/roles/webspace/tasks/shared.yml):
#   '$host $remote_addr [$time_iso8601] "$request" $status $bytes_sent "$http_user_agent"'
# nginx writes '"', '\' and bytes outside 32..126 of a variable as \xXX, so a quoted field holds
# no bare quote.
_QUOTED = rb'"(?:[^"\\]|\\x[0-9A-Fa-f]{2})*"'
LOG_LINE = re.compile(rb"\S+ \S+ \[\S+\] " + _QUOTED + rb" [0-9]{3} ([0-9]+) " + _QUOTED)

MARIADB_SOCKET = Path("/run/mysqld/mysqld.sock")
POSTGRESQL_SOCKETS = Path("/run/postgresql")
# Left join: a database without tables is there, with 0 bytes.
MARIADB_QUERY = (
    "SELECT s.schema_name, COALESCE(SUM(t.data_length + t.index_length), 0)"
    " FROM information_schema.schemata s"
    " LEFT JOIN information_schema.tables t ON t.table_schema = s.schema_name"
    " GROUP BY s.schema_name"
)
POSTGRESQL_QUERY = (
    "SELECT datname, pg_database_size(datname) FROM pg_database WHERE NOT datistemplate"
)

log = logging.getLogger("panel-agent")


def read_complete_lines(handle, offset: int, tally: dict) -> int:
    """Count the complete lines of HANDLE from OFFSET into TALLY (bytes, requests, unparsed);
    returns the offset after the last complete line. A partial last line is left for later."""
    handle.seek(offset)
    pending = b""
    while chunk := handle.read(READ_CHUNK):
        data = pending + chunk
        end = data.rfind(b"\n")
        if end < 0:
            pending = data
            continue
        for line in data[:end].split(b"\n"):
            match = LOG_LINE.fullmatch(line)
            if match:
                tally["bytes"] += int(match.group(1))
                tally["requests"] += 1
            else:
                tally["unparsed"] += 1
        offset += end + 1
        pending = data[end + 1 :]
    return offset


# A folder or file a member may control is opened with these: never through a symbolic link
# (O_NOFOLLOW refuses one as the last component, and every other component is a folder already
# opened that way), and a FIFO planted as a log does not block the open.
FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def open_folder(folder: Path) -> int:
    """A descriptor of FOLDER, whose parent is trusted (a root the agent was given) and whose
    last component must be a real folder, not a symbolic link."""
    parent = os.open(folder.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return os.open(folder.name, FOLDER_FLAGS, dir_fd=parent)
    finally:
        os.close(parent)


def _open(folder: int, name: str, files: contextlib.ExitStack):
    """NAME in the FOLDER descriptor opened for reading (closed with FILES) and its fstat, the
    file actually opened; or (None, None) when there is none. Anything but a regular file (a
    symbolic link, a FIFO, a device) is refused."""
    try:
        descriptor = os.open(name, FILE_FLAGS, dir_fd=folder)
    except FileNotFoundError:
        return None, None
    handle = files.enter_context(os.fdopen(descriptor, "rb"))
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"{name} is not a regular file")
    return handle, info


def _is(info, position: dict | None) -> bool:
    return (
        info is not None
        and position is not None
        and (info.st_dev, info.st_ino) == (position["dev"], position["ino"])
    )


def _read_on(handle, info, position: dict, tally: dict) -> dict:
    """POSITION moved past the complete lines of the open file; a file now shorter than the
    position was truncated and is read from its start."""
    offset = position["offset"] if info.st_size >= position["offset"] else 0
    return {**position, "offset": read_complete_lines(handle, offset, tally)}


def advance_log(folder: Path, entry: dict) -> dict:
    """The webspace's log entry after reading what nginx wrote since ENTRY.

    ENTRY holds the totals and two positions (device, inode, offset): `current`, the file last
    seen as access.log, and `previous`, the one rotated to access.log.1, which nginx may still
    write to until it reopens its logs. Rotated files are recognised by inode, so no line is read
    twice and none is skipped."""
    tally = {key: entry[key] for key in ("bytes", "requests", "unparsed")}
    current, previous = entry["current"], entry["previous"]
    with contextlib.ExitStack() as files:
        try:
            descriptor = open_folder(folder)
        except FileNotFoundError:
            return {**tally, "current": None, "previous": None}
        files.callback(os.close, descriptor)
        # The live file is opened first: if logrotate renames it in between, the file we
        # remember is then found as access.log.1.
        live, live_info = _open(descriptor, "access.log", files)
        rotated, rotated_info = _open(descriptor, "access.log.1", files)
        if _is(rotated_info, previous):
            previous = _read_on(rotated, rotated_info, previous, tally)
        else:
            previous = None  # compressed or removed: nothing more will be written to it
        if current is not None and not _is(live_info, current):
            if _is(rotated_info, current):
                previous = _read_on(rotated, rotated_info, current, tally)
            current = None
        if live is not None:
            if current is None:
                current = {"dev": live_info.st_dev, "ino": live_info.st_ino, "offset": 0}
            current = _read_on(live, live_info, current, tally)
    return {**tally, "current": current, "previous": previous}


def new_log_entry() -> dict:
    return {"bytes": 0, "requests": 0, "unparsed": 0, "current": None, "previous": None}


def unified_hierarchy(cgroup_root: Path) -> Path:
    """Where the cgroup v2 tree is: CGROUP_ROOT itself, or its unified/ folder on a host that
    mounts v1 and v2 side by side (systemd's hybrid mode, as in containers on such hosts)."""
    if not (cgroup_root / "cgroup.controllers").exists():
        hybrid = cgroup_root / "unified"
        if (hybrid / "cgroup.controllers").exists():
            return hybrid
    return cgroup_root


def cpu_reading(cgroup_root: Path, name: str) -> tuple[int, int] | None:
    """(cgroup id, usage_usec) of the webspace's slice; None while the slice does not exist. The
    id (the cgroup folder's inode, never reused) tells a slice started again apart."""
    folder = cgroup_root / "webspace.slice" / f"webspace-{name}.slice"
    try:
        identity = os.stat(folder).st_ino
        text = (folder / "cpu.stat").read_text()
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            return identity, int(value)
    raise ValueError(f"{folder}/cpu.stat has no usage_usec")


def advance_cpu(entry: dict, reading: tuple[int, int] | None) -> dict:
    """The running CPU total after READING: a slice that is new, or was started again, counts
    from 0; a missing slice adds nothing."""
    if reading is None:
        return {"total_usec": entry["total_usec"], "slice": None, "usec": None}
    identity, usec = reading
    same = entry["slice"] == identity and entry["usec"] is not None and usec >= entry["usec"]
    added = usec - entry["usec"] if same else usec
    return {"total_usec": entry["total_usec"] + added, "slice": identity, "usec": usec}


def new_cpu_entry() -> dict:
    return {"total_usec": 0, "slice": None, "usec": None}


class Stopping(Exception):
    """The agent is stopping: a long pass gives up without publishing."""


def disk_usage(home: Path, stopping: threading.Event | None = None) -> int:
    """Bytes allocated in HOME (st_blocks), each inode counted once, on HOME's file system only.

    A member controls everything in their home and may swap a folder for a symbolic link at any
    moment, so the walk never follows a path: it holds a descriptor of each folder it is in
    (as many as the tree is deep), lists it through that descriptor and opens each subfolder
    relative to it with O_NOFOLLOW. A link is counted as the link it is; a folder replaced by a
    link after it was listed fails to open and is left out, as is whatever vanishes or cannot
    be read during the walk."""
    try:
        top = open_folder(home)
    except OSError as exc:
        # No home, or the home itself is not a folder: nothing of the webspace to count.
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
            return 0
        raise
    seen: set[tuple[int, int]] = set()
    device = os.fstat(top).st_dev
    frames: list[tuple[int, list[str]]] = []
    total = 0
    try:
        folder: int | None = top
        while folder is not None or frames:
            if stopping is not None and stopping.is_set():
                raise Stopping
            if folder is not None:
                counted, subfolders = _list_folder(folder, device, seen)
                total += counted
                frames.append((folder, subfolders))
                folder = None
                continue
            parent, pending = frames[-1]
            if not pending:
                os.close(frames.pop()[0])
                continue
            try:
                folder = os.open(pending.pop(), FOLDER_FLAGS, dir_fd=parent)
            except OSError:
                folder = None
    finally:
        if folder is not None:
            os.close(folder)
        for descriptor, _ in frames:
            os.close(descriptor)
    return total


def login_folders(home_root: Path) -> dict[str, list[Path]]:
    """The logins' temporary folders (LOGIN_TMP) by webspace. Their parents are root's, so
    nothing here is a member's to swap; what lies inside is walked as a home is."""
    found: dict[str, list[Path]] = {}
    try:
        with os.scandir(home_root / LOGIN_TMP) as kinds:
            parents = [Path(kind.path) for kind in kinds if kind.is_dir(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return found
    for parent in parents:
        with os.scandir(parent) as entries:
            for item in entries:
                webspace, dash, _ = item.name.partition("-")
                if dash and WEBSPACE_NAME.fullmatch(webspace):
                    found.setdefault(webspace, []).append(Path(item.path))
    return found


def _list_folder(folder: int, device: int, seen: set) -> tuple[int, list[str]]:
    """The bytes of the FOLDER descriptor itself and of its entries that are no folders, and the
    names of its subfolders. A folder on another file system (a mount) or met before (a bind
    mount) counts nothing."""
    info = os.fstat(folder)
    key = (info.st_dev, info.st_ino)
    if info.st_dev != device or key in seen:
        return 0, []
    seen.add(key)
    total, subfolders = info.st_blocks * 512, []
    try:
        with os.scandir(folder) as entries:
            for item in entries:
                try:
                    # fstatat on the folder's descriptor, the link itself for a link.
                    info = item.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    subfolders.append(item.name)
                    continue
                if info.st_nlink > 1:
                    key = (info.st_dev, info.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                total += info.st_blocks * 512
    except OSError:
        pass
    return total, subfolders


def parse_mariadb(output: str) -> dict[str, int]:
    """`mysql --batch --skip-column-names` output of MARIADB_QUERY: name -> bytes."""
    sizes = {}
    for line in output.splitlines():
        name, size = line.split("\t")
        sizes[name] = int(size)
    return sizes


def parse_postgresql(output: str) -> dict[str, int]:
    """`psql -XAtq` output of POSTGRESQL_QUERY: name -> bytes."""
    sizes = {}
    for line in output.splitlines():
        name, size = line.rsplit("|", 1)
        sizes[name] = int(size)
    return sizes


def _run(command: list[str]) -> str:
    done = subprocess.run(  # nosec B603  # fixed commands of the agent, no shell
        command,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1][:200]
        raise RuntimeError(f"{command[0]} exited with {done.returncode}: {reason}")
    return done.stdout


def mariadb_sizes() -> dict[str, int] | None:
    """Sizes of MariaDB's databases; None where MariaDB is not installed or not running."""
    if shutil.which("mysql") is None or not MARIADB_SOCKET.exists():
        return None
    return parse_mariadb(_run(["mysql", "--batch", "--skip-column-names", "-e", MARIADB_QUERY]))


def postgresql_sizes() -> dict[str, int] | None:
    """Sizes of PostgreSQL's databases; None where PostgreSQL is not installed or not running."""
    if shutil.which("psql") is None or not any(POSTGRESQL_SOCKETS.glob(".s.PGSQL.*")):
        return None
    command = ["runuser", "-u", "postgres", "--", "psql", "-XAtq", "-c", POSTGRESQL_QUERY]
    return parse_postgresql(_run(command))


DATABASE_ENGINES = {"mariadb": mariadb_sizes, "postgresql": postgresql_sizes}

# BBBLB's tables (bbblb/model.py, migrations up to faacfea3b608 of bbblb 0.0.18):
# tenants(id, name), servers(domain, enabled, health, stats JSONB {"meetings", "users", ...}),
# meeting_stats(tenant_fk, users), one row per running meeting per poll (POLL_STATS=true).
# One statement, so tenants and servers are read in one snapshot, and one line of JSON out, so
# no name can break the parsing. A tenant without rows has 0; a server never polled has {}.
BBBLB_QUERY = """SELECT json_build_object(
 'tenants', (SELECT COALESCE(json_object_agg(t.name, COALESCE(u.polled_users, 0)), '{}')
   FROM tenants t LEFT JOIN (SELECT tenant_fk, SUM(users) AS polled_users FROM meeting_stats
   GROUP BY tenant_fk) u ON u.tenant_fk = t.id),
 'servers', (SELECT COALESCE(json_object_agg(s.domain, json_build_object('enabled', s.enabled,
   'health', s.health, 'meetings', s.stats->'meetings', 'users', s.stats->'users')), '{}')
   FROM servers s))"""
BBBLB_DATABASE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# BBBLB's own patterns: RE_TENANT_NAME (bbblb/utils.py); a server is a host name, maybe a port.
TENANT_NAME = re.compile(r"[A-Za-z0-9]{1,16}")
SERVER_DOMAIN = re.compile(r"[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?")
# BBBLB's ServerHealth (bbblb/model.py), exported as its number.
SERVER_HEALTH = {0: "available", 1: "unstable", 2: "offline"}


def _count(value, what: str) -> int:
    """VALUE as a count: an integer (not a bool) of 0 or more."""
    if type(value) is not int or value < 0:
        raise ValueError(f"{what}: expected a count, got {value!r}")
    return value


def _stat(server: dict, key: str, domain: str) -> int:
    """A count of the server's stats; 0 while it has none (BBBLB has not polled it yet)."""
    value = server.get(key)
    return 0 if value is None else _count(value, f"{domain} {key}")


def parse_bbblb(output: str) -> dict:
    """`psql -XAtq` output of BBBLB_QUERY: {"tenants": {name: polled users}, "servers":
    {domain: {"enabled", "health", "meetings", "users"}}}. Anything else raises ValueError."""
    document = json.loads(output)
    if not isinstance(document, dict) or set(document) != {"tenants", "servers"}:
        raise ValueError("expected the tenants and the servers")
    tenants, servers = document["tenants"], document["servers"]
    if not isinstance(tenants, dict) or not isinstance(servers, dict):
        raise ValueError("expected the tenants and the servers by name")
    polled = {}
    for name, users in tenants.items():
        if not TENANT_NAME.fullmatch(name):
            raise ValueError(f"not a BBBLB tenant name: {name!r}")
        polled[name] = _count(users, name)
    views = {}
    for domain, server in servers.items():
        if not SERVER_DOMAIN.fullmatch(domain):
            raise ValueError(f"not a server domain: {domain!r}")
        if not isinstance(server, dict) or type(server.get("enabled")) is not bool:
            raise ValueError(f"{domain}: expected enabled, health and stats")
        health = server.get("health")
        if type(health) is not int or health not in SERVER_HEALTH:
            raise ValueError(f"{domain}: unknown health {health!r}")
        views[domain] = {
            "enabled": server["enabled"],
            "health": health,
            "meetings": _stat(server, "meetings", domain),
            "users": _stat(server, "users", domain),
        }
    return {"tenants": polled, "servers": views}


def bbblb_usage(database: str) -> dict:
    """BBBLB's tenants and servers from its PostgreSQL DATABASE on this host (parse_bbblb)."""
    if not BBBLB_DATABASE.fullmatch(database):
        raise ValueError(f"not a database name: {database!r}")
    command = ["runuser", "-u", "postgres", "--", "psql", "-XAtq", "-d", database]
    return parse_bbblb(_run([*command, "-c", BBBLB_QUERY]))


def write_atomically(path: Path, data: bytes) -> None:
    """PATH holds DATA, or what it held before: never a part (temp file, fsync, rename)."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


class Agent:
    """The collectors, the state they persist and the snapshot a scrape reads."""

    def __init__(
        self,
        log_root: Path,
        home_root: Path,
        cgroup_root: Path,
        state_path: Path,
        intervals: dict[str, float] | None = None,
        database_engines: dict | None = None,
        video: Callable[[], dict] | None = None,
        poll_interval: float = 30,
    ):
        """VIDEO: what reads BBBLB's tenants and servers (bbblb_usage; None: no video
        collector). POLL_INTERVAL: BBBLB's POLL_INTERVAL, the seconds each meeting_stats row
        stands for."""
        self.log_root = Path(log_root)
        self.home_root = Path(home_root)
        self.cgroup_root = Path(cgroup_root)
        self.state_path = Path(state_path)
        self.intervals = intervals or {
            "logs": 15,
            "cpu": 15,
            "disk": 300,
            "databases": 300,
            VIDEO: 60,
        }
        self.database_engines = DATABASE_ENGINES if database_engines is None else database_engines
        self.video = video
        self.poll_interval = poll_interval
        self.collectors = COLLECTORS + ((VIDEO,) if video is not None else ())
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._state_lock = threading.Lock()
        self._state = self._load_state()
        # What a scrape sees: each value is replaced whole, never changed in place.
        self._lock = threading.Lock()
        self._published = {
            "logs": self._state["logs"],
            "cpu": self._state["cpu"],
            "disk": {},
            "databases": {},
            VIDEO: {"tenants": {}, "servers": {}},
        }
        self._health = {
            name: {"last_success": 0.0, "errors": 0, "duration": 0.0} for name in self.collectors
        }
        self._last_problem: dict[str, str] = {}
        self._rendered = {
            section: Rendered.of(self._families(section, self._published[section]))
            for section in self._sections()
        }
        self.registry = AgentRegistry(self)

    # State file

    def _load_state(self) -> dict:
        empty = {"version": STATE_VERSION, "logs": {}, "cpu": {}}
        try:
            state = json.loads(self.state_path.read_bytes())
        except FileNotFoundError:
            return empty
        except ValueError:
            state = None
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            aside = self.state_path.with_name(self.state_path.name + ".unreadable")
            os.replace(self.state_path, aside)
            log.error("state file unreadable, moved to %s: counters start again", aside)
            return empty
        return state

    def _persist(self, section: str, value: dict) -> None:
        with self._state_lock:
            if self._state[section] == value:
                return
            state = {**self._state, section: value}
            write_atomically(self.state_path, json.dumps(state, separators=(",", ":")).encode())
            self._state = state

    def _publish(self, collector: str, value: dict) -> None:
        """Publish VALUE with its metrics rendered (here, in the collector's thread: a scrape
        only joins what is rendered); an unchanged value keeps its rendering."""
        with self._lock:
            unchanged = value == self._published[collector]
            rendered = self._rendered[collector]
        if not unchanged:
            rendered = Rendered.of(self._families(collector, value))
        with self._lock:
            self._published[collector] = value
            self._rendered[collector] = rendered

    # Collectors: each returns the problems of single webspaces (the pass goes on without
    # them) and raises when the pass as a whole fails.

    def webspaces(self) -> list[str]:
        """The webspaces on this host: folders named like one under the log or home root."""
        names = set()
        for root in (self.log_root, self.home_root):
            try:
                with os.scandir(root) as entries:
                    names.update(
                        item.name
                        for item in entries
                        if WEBSPACE_NAME.fullmatch(item.name) and item.is_dir(follow_symlinks=False)
                    )
            except FileNotFoundError:
                continue
        return sorted(names)

    def collect_logs(self) -> list[str]:
        known, problems, logs = self._state["logs"], [], {}
        for name in self.webspaces():
            entry = known.get(name) or new_log_entry()
            try:
                logs[name] = advance_log(self.log_root / name, entry)
            except OSError as exc:
                problems.append(f"{name}: {exc}")
                logs[name] = entry
        self._persist("logs", logs)
        self._publish("logs", logs)
        return problems

    def collect_cpu(self) -> list[str]:
        known, problems, cpu = self._state["cpu"], [], {}
        cgroups = unified_hierarchy(self.cgroup_root)
        for name in self.webspaces():
            entry = known.get(name) or new_cpu_entry()
            try:
                cpu[name] = advance_cpu(entry, cpu_reading(cgroups, name))
            except (OSError, ValueError) as exc:
                problems.append(f"{name}: {exc}")
                cpu[name] = entry
        self._persist("cpu", cpu)
        self._publish("cpu", cpu)
        return problems

    def collect_disk(self) -> list[str]:
        logins = login_folders(self.home_root)
        disk = {
            name: sum(
                disk_usage(folder, self._stopping)
                for folder in [self.home_root / name, *logins.get(name, [])]
            )
            for name in self.webspaces()
        }
        self._publish("disk", disk)
        return []

    def collect_databases(self) -> list[str]:
        webspaces, problems, sizes = set(self.webspaces()), [], {}
        for engine, measure in self.database_engines.items():
            try:
                found = measure()
            except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
                problems.append(f"{engine}: {exc}")
                continue
            for database, size in (found or {}).items():
                # abc00_shop belongs to the webspace abc00.
                if database[5:6] == "_" and database[:5] in webspaces:
                    sizes[(database[:5], database, engine)] = size
        self._publish("databases", sizes)
        return problems

    def collect_video(self) -> list[str]:
        """BBBLB's tenants and servers; a failing read publishes nothing, so the last values
        stay."""
        self._publish(VIDEO, self.video())
        return []

    def run_pass(self, collector: str) -> bool:
        """One pass of COLLECTOR with its health recorded; whether it succeeded."""
        started, wall = time.monotonic(), time.time()
        try:
            problems = getattr(self, f"collect_{collector}")()
        except Exception as exc:  # the pass failed; the next one tries again
            problems = [f"{type(exc).__name__}: {exc}"]
        duration = time.monotonic() - started
        with self._lock:
            health = self._health[collector]
            self._health[collector] = {
                "last_success": health["last_success"] if problems else wall + duration,
                "errors": health["errors"] + (1 if problems else 0),
                "duration": duration,
            }
        self._report(collector, problems)
        return not problems

    def _report(self, collector: str, problems: list[str]) -> None:
        """Log a failure when it differs from the pass before, and the recovery: a host with a
        lasting problem does not fill its journal every interval."""
        summary = "; ".join(problems[:3])[:500]
        if summary and summary != self._last_problem.get(collector):
            log.error("%s: %d problem(s): %s", collector, len(problems), summary)
        elif not summary and self._last_problem.get(collector):
            log.info("%s: collecting again", collector)
        self._last_problem[collector] = summary

    # Threads

    def start(self) -> None:
        for collector in self.collectors:
            thread = threading.Thread(
                target=self._loop, args=(collector,), name=collector, daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _loop(self, collector: str) -> None:
        while not self._stopping.is_set():
            self.run_pass(collector)
            self._stopping.wait(self.intervals[collector])

    def stop(self) -> None:
        """Let the threads finish their pass (a disk walk gives up); bounded."""
        self._stopping.set()
        deadline = time.monotonic() + STOP_TIMEOUT
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    # Scrape: builds metrics from the published snapshot only.

    def _video_metrics(self, video: dict):
        participant_seconds = CounterMetricFamily(
            "panel_video_participant_seconds_total",
            "Participant time of the BBBLB tenant's meetings: users seen by each poll"
            " times BBBLB's poll interval",
            labels=["tenant"],
        )
        for tenant, polled_users in video["tenants"].items():
            participant_seconds.add_metric([tenant], polled_users * self.poll_interval)
        yield participant_seconds
        servers = {
            "meetings": GaugeMetricFamily(
                "panel_bbb_server_meetings",
                "Meetings running on the BBB server at BBBLB's last successful poll",
                labels=["server"],
            ),
            "users": GaugeMetricFamily(
                "panel_bbb_server_participants",
                "Participants on the BBB server at BBBLB's last successful poll",
                labels=["server"],
            ),
            "enabled": GaugeMetricFamily(
                "panel_bbb_server_enabled",
                "1 if BBBLB places new meetings on the server, 0 if it is disabled",
                labels=["server"],
            ),
            "health": GaugeMetricFamily(
                "panel_bbb_server_health",
                "BBBLB's health of the server: 0 available, 1 unstable, 2 offline",
                labels=["server"],
            ),
        }
        for domain, server in video["servers"].items():
            for key, metric in servers.items():
                metric.add_metric([domain], int(server[key]))
        yield from servers.values()

    def _sections(self) -> tuple[str, ...]:
        return SECTIONS if self.video is not None else SECTIONS[:-1]

    def collect(self):
        with self._lock:
            published = {section: self._published[section] for section in self._sections()}
            health = dict(self._health)
        for section, value in published.items():
            yield from self._families(section, value)
        yield from _health_metrics(health)

    def exposition(self) -> list["Rendered"]:
        """What a scrape answers, section by section: the published values' metrics as
        rendered when they were published, and the collectors' health now."""
        with self._lock:
            rendered = [self._rendered[section] for section in self._sections()]
            health = dict(self._health)
        return [*rendered, Rendered.of(_health_metrics(health))]

    def _families(self, section: str, value: dict) -> list:
        if section == "logs":
            return _log_metrics(value)
        if section == "cpu":
            return [_cpu_metric(value)]
        if section == "disk":
            return [_disk_metric(value)]
        if section == "databases":
            return [_database_metric(value)]
        return list(self._video_metrics(value))


def _log_metrics(logs: dict) -> list:
    metrics = {
        "bytes": CounterMetricFamily(
            "panel_webspace_http_response_bytes_total",
            "Bytes nginx sent for the webspace's sites ($bytes_sent)",
            labels=["webspace"],
        ),
        "requests": CounterMetricFamily(
            "panel_webspace_http_requests_total",
            "Requests nginx logged for the webspace's sites",
            labels=["webspace"],
        ),
        "unparsed": CounterMetricFamily(
            "panel_agent_unparsed_log_lines_total",
            "Lines of the webspace's access log that are not in the webspace format",
            labels=["webspace"],
        ),
    }
    for name, entry in logs.items():
        for key, metric in metrics.items():
            metric.add_metric([name], entry[key])
    return list(metrics.values())


def _cpu_metric(cpu: dict) -> CounterMetricFamily:
    cpu_seconds = CounterMetricFamily(
        "panel_webspace_cpu_seconds_total",
        "CPU time of the webspace's systemd slice",
        labels=["webspace"],
    )
    for name, entry in cpu.items():
        cpu_seconds.add_metric([name], entry["total_usec"] / 1e6)
    return cpu_seconds


def _disk_metric(disk: dict) -> GaugeMetricFamily:
    disk_bytes = GaugeMetricFamily(
        "panel_webspace_disk_usage_bytes",
        "Bytes allocated under the webspace's home",
        labels=["webspace"],
    )
    for name, size in disk.items():
        disk_bytes.add_metric([name], size)
    return disk_bytes


def _database_metric(databases: dict) -> GaugeMetricFamily:
    database_bytes = GaugeMetricFamily(
        "panel_database_size_bytes",
        "Size of the webspace's database",
        labels=["webspace", "database", "engine"],
    )
    for labels, size in databases.items():
        database_bytes.add_metric(list(labels), size)
    return database_bytes


def _health_metrics(health: dict) -> list:
    last = GaugeMetricFamily(
        "panel_agent_last_collection_timestamp_seconds",
        "Unix time of the collector's last successful pass (0: none yet)",
        labels=["collector"],
    )
    errors = CounterMetricFamily(
        "panel_agent_collection_errors_total",
        "Failed passes of the collector",
        labels=["collector"],
    )
    duration = GaugeMetricFamily(
        "panel_agent_collection_duration_seconds",
        "Duration of the collector's last pass",
        labels=["collector"],
    )
    for collector, values in health.items():
        last.add_metric([collector], values["last_success"])
        errors.add_metric([collector], values["errors"])
        duration.add_metric([collector], values["duration"])
    return [last, errors, duration]


class Families:
    """Metric families as generate_latest takes them: from anything with collect()."""

    def __init__(self, families: list):
        self.families = families

    def collect(self) -> list:
        return self.families


@dataclass(frozen=True)
class Rendered:
    """Metric families in the text format, and deflated on their own (ending on a byte, no
    last block): a gzipped scrape joins the sections' deflated data without compressing
    anything again but the collectors' health."""

    text: bytes
    deflated: bytes

    @classmethod
    def of(cls, families: list) -> "Rendered":
        text = generate_latest(Families(families))
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        return cls(text, compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH))


def gzipped(parts: list[Rendered]) -> bytes:
    """One gzip member of the parts' texts, joined."""
    checksum, size = 0, 0
    for part in parts:
        checksum = zlib.crc32(part.text, checksum)
        size += len(part.text)
    trailer = struct.pack("<II", checksum, size & 0xFFFFFFFF)
    return b"".join([GZIP_HEAD, *(part.deflated for part in parts), LAST_BLOCK, trailer])


class AgentRegistry(CollectorRegistry):
    """The agent's registry: collect() builds every family anew (for generate_latest);
    exposition() gives a scrape the sections rendered when the collectors published."""

    def __init__(self, agent: "Agent"):
        super().__init__(auto_describe=False)
        self.register(agent)
        self.exposition = agent.exposition


class MetricsRequestHandler(BaseHTTPRequestHandler):
    """GET /metrics in Prometheus' text format 0.0.4, gzipped when the client accepts it. Every
    Prometheus reads that format, and prometheus_client writes it several times faster than
    OpenMetrics in its newer versions.

    It answers one request whose head MetricsServer has read already (`request` is a Request),
    and writes the answer by the request's deadline."""

    registry: CollectorRegistry
    # With a token, only a caller that sends it is answered: the usage of every webspace must
    # not be readable by the webspaces' own processes on this host. Prometheus sends it as the
    # URL parameter `token` (each host has its own, and Prometheus sets URL parameters per
    # target but headers only per job); a bearer token serves curl and Ansible.
    token: bytes | None = None
    content_type = "text/plain; version=0.0.4; charset=utf-8"

    def setup(self) -> None:
        self.rfile = io.BytesIO(self.request.head)
        self.wfile = DeadlineWriter(self.request.connection, self.request.deadline)

    def finish(self) -> None:
        """The server closes the connection."""

    def do_GET(self) -> None:
        if not self._authorized():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Bearer realm="panel-agent"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if urlsplit(self.path).path != "/metrics":
            self.send_error(404)
            return
        parts = self._parts()
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzipped(parts)
            self.send_header("Content-Encoding", "gzip")
        else:
            body = b"".join(part.text for part in parts)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _parts(self) -> list[Rendered]:
        """The agent's sections as rendered when published; any other registry rendered now."""
        exposition = getattr(self.registry, "exposition", None)
        if exposition is None:
            return [Rendered.of(list(self.registry.collect()))]
        return exposition()

    def _authorized(self) -> bool:
        if self.token is None:
            return True
        header = self.headers.get("Authorization", "")
        offered = [header.removeprefix("Bearer ")] if header.startswith("Bearer ") else []
        offered += parse_qs(urlsplit(self.path).query).get("token", [])
        # Every offer is compared, so the time taken tells nothing about the token.
        matches = [hmac.compare_digest(value.encode(), self.token) for value in offered]
        return any(matches)

    def log_message(self, format, *args) -> None:
        """Scrapes are not logged."""


class DeadlineWriter:
    """A connection's write side that gives up (TimeoutError) once DEADLINE (monotonic) has
    passed: a client that reads its answer slowly, or not at all, is cut."""

    def __init__(self, connection: socket.socket, deadline: float):
        self.connection = connection
        self.deadline = deadline

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the client did not take the answer in time")
            self.connection.settimeout(remaining)
            view = view[self.connection.send(view) :]
        return len(data)

    def flush(self) -> None:
        """Every write is sent at once."""


class Request:
    """A connection whose request head has arrived, to be answered by DEADLINE."""

    def __init__(self, connection: socket.socket, head: bytes, deadline: float):
        self.connection = connection
        self.head = head
        self.deadline = deadline


class MetricsServer:
    """The HTTP endpoint, built so that clients that connect and send nothing, or send their
    request a byte at a time, can neither hold it nor exhaust it.

    One thread reads from every connection at once (a selector: no thread waits on a client),
    and each connection has `request_timeout` seconds for its whole request head, however
    it trickles in; a head over MAX_REQUEST_HEAD bytes is cut too. With `max_connections`
    waiting, a new connection pushes out the one that has waited longest, so clients that hang
    on cannot keep Prometheus out, whose request follows its connect at once. A few threads
    answer the requests that have arrived, each within `response_timeout` seconds. One request
    per connection (HTTP/1.0): Prometheus opens a new one for the next scrape."""

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[MetricsRequestHandler],
        request_timeout: float = REQUEST_TIMEOUT,
        response_timeout: float = RESPONSE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ):
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind(address)
            self.socket.listen(LISTEN_BACKLOG)
        except OSError:
            self.socket.close()
            raise
        self.socket.setblocking(False)
        self.server_address = self.socket.getsockname()
        self.handler = handler
        self.request_timeout = request_timeout
        self.response_timeout = response_timeout
        self.max_connections = max_connections
        # Connections whose request has not arrived yet, the longest waiting first:
        # {connection: (deadline, the head so far)}.
        self._waiting: dict[socket.socket, tuple[float, bytearray]] = {}
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._answering = ThreadPoolExecutor(ANSWER_THREADS, thread_name_prefix="answer")
        self._stopping = threading.Event()
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        self._selector.register(self.socket, selectors.EVENT_READ)
        self._selector.register(self._wake_reader, selectors.EVENT_READ)
        try:
            while not self._stopping.is_set():
                for key, _ in self._selector.select(timeout=self._next_timeout()):
                    if key.fileobj is self.socket:
                        self._accept()
                    elif key.fileobj is not self._wake_reader:
                        self._read(key.fileobj)
                self._cut_overdue()
        finally:
            for connection in list(self._waiting):
                self._drop(connection)
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop serve_forever (from another thread) and wait until it has."""
        self._stopping.set()
        self._wake_writer.send(b"x")
        self._stopped.wait()

    def server_close(self) -> None:
        """Close the listening socket; answers under way end by their deadline."""
        self._answering.shutdown(wait=True)
        self._selector.close()
        for item in (self.socket, self._wake_reader, self._wake_writer):
            item.close()

    def _next_timeout(self) -> float:
        if not self._waiting:
            return IDLE_POLL
        oldest = next(iter(self._waiting.values()))[0]
        return max(0.0, min(IDLE_POLL, oldest - time.monotonic()))

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except BlockingIOError:
                return
            except OSError:
                # Out of descriptors: make room, or wait a moment rather than spin.
                if not self._drop_oldest():
                    self._stopping.wait(IDLE_POLL / 10)
                return
            if len(self._waiting) >= self.max_connections:
                self._drop_oldest()
            connection.setblocking(False)
            self._waiting[connection] = (time.monotonic() + self.request_timeout, bytearray())
            self._selector.register(connection, selectors.EVENT_READ)

    def _read(self, connection: socket.socket) -> None:
        head = self._waiting[connection][1]
        try:
            data = connection.recv(READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(connection)
            return
        searched = max(0, len(head) - 3)
        head += data
        end = head.find(b"\r\n\r\n", searched)
        if end < 0:
            if len(head) > MAX_REQUEST_HEAD:
                self._drop(connection)
            return
        self._selector.unregister(connection)
        del self._waiting[connection]
        connection.setblocking(True)
        self._answering.submit(self._answer, Request(connection, bytes(head[: end + 4]), 0.0))

    def _answer(self, request: Request) -> None:
        request.deadline = time.monotonic() + self.response_timeout
        try:
            self.handler(request, request.connection.getpeername(), self)
        except Exception:  # a client that went away must not end the answering thread
            log.debug("answering a request failed", exc_info=True)
        finally:
            request.connection.close()

    def _cut_overdue(self) -> None:
        now = time.monotonic()
        overdue = [c for c, (deadline, _) in self._waiting.items() if deadline <= now]
        for connection in overdue:
            self._drop(connection)

    def _drop_oldest(self) -> bool:
        if not self._waiting:
            return False
        self._drop(next(iter(self._waiting)))
        return True

    def _drop(self, connection: socket.socket) -> None:
        self._selector.unregister(connection)
        del self._waiting[connection]
        connection.close()


def read_token(path: Path) -> bytes:
    """The token scrapers must send: the file's first line, which must not be empty."""
    token = path.read_bytes().strip()
    if not token or b"\n" in token:
        raise SystemExit(f"{path}: expected one line, the token")
    return token


def http_server(
    listen: str, registry: AgentRegistry, token: bytes | None = None, **limits: float
) -> MetricsServer:
    """The metrics endpoint on LISTEN (host:port; [::]:port for IPv6), bound at once. LIMITS:
    MetricsServer's timeouts and connection limit."""
    host, _, port = listen.rpartition(":")
    handler = type("Handler", (MetricsRequestHandler,), {"registry": registry, "token": token})
    return MetricsServer((host.strip("[]"), int(port)), handler, **limits)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default="0.0.0.0:9835", help="host:port of /metrics")
    parser.add_argument("--log-root", type=Path, default=Path("/var/log/webspaces"))
    parser.add_argument("--home-root", type=Path, default=Path("/home/webspaces"))
    parser.add_argument("--cgroup-root", type=Path, default=Path("/sys/fs/cgroup"))
    parser.add_argument("--state", type=Path, default=Path("/var/lib/panel-agent/state.json"))
    parser.add_argument("--interval", type=float, default=15, help="seconds, logs and CPU")
    parser.add_argument("--disk-interval", type=float, default=300, help="seconds")
    parser.add_argument("--database-interval", type=float, default=300, help="seconds")
    parser.add_argument(
        "--token-file", type=Path, help="answer only scrapers that send this bearer token"
    )
    parser.add_argument(
        "--bbblb-database",
        type=database_name,
        help="BBBLB's PostgreSQL database on this host: turns the video collector on",
    )
    parser.add_argument(
        "--bbblb-poll-interval",
        type=positive_seconds,
        default=30,
        help="BBBLB's POLL_INTERVAL: seconds each of its meeting_stats rows stands for",
    )
    parser.add_argument("--video-interval", type=positive_seconds, default=60, help="seconds")
    return parser.parse_args(argv)


def database_name(text: str) -> str:
    if not BBBLB_DATABASE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a PostgreSQL database name: {text!r}")
    return text


def positive_seconds(text: str) -> float:
    seconds = float(text)
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"expected seconds above 0, got {text!r}")
    return seconds


def raise_descriptor_limit() -> None:
    """Open files up to the hard limit: the disk walk holds a descriptor per level of the
    deepest home, and each connection waiting for its request holds one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard != resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    raise_descriptor_limit()
    agent = Agent(
        args.log_root,
        args.home_root,
        args.cgroup_root,
        args.state,
        {
            "logs": args.interval,
            "cpu": args.interval,
            "disk": args.disk_interval,
            "databases": args.database_interval,
            VIDEO: args.video_interval,
        },
        video=functools.partial(bbblb_usage, args.bbblb_database) if args.bbblb_database else None,
        poll_interval=args.bbblb_poll_interval,
    )
    token = read_token(args.token_file) if args.token_file else None
    server = http_server(args.listen, agent.registry, token)
    stopping = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stopping.set())
    agent.start()
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    log.info("serving metrics on %s", args.listen)
    stopping.wait()
    log.info("stopping")
    server.shutdown()
    server.server_close()
    agent.stop()


if __name__ == "__main__":
    main()
