"""The host agent (agents/panel_agent.py) on folders made here: log reading across partial lines,
rotation and truncation, the state file and restarts, CPU across slice restarts, the disk walk,
database sizes, and scrapes that only read what the collectors published."""

import contextlib
import gzip
import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from agent_source import agent_service
from agent_source import panel_agent as agent_module
from polling import poll
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

A, B = "abc00", "abd01"
BYTES = "panel_webspace_http_response_bytes_total"
REQUESTS = "panel_webspace_http_requests_total"
UNPARSED = "panel_agent_unparsed_log_lines_total"
CPU = "panel_webspace_cpu_seconds_total"
DISK = "panel_webspace_disk_usage_bytes"
DATABASE = "panel_database_size_bytes"
LAST = "panel_agent_last_collection_timestamp_seconds"
ERRORS = "panel_agent_collection_errors_total"
DURATION = "panel_agent_collection_duration_seconds"


@pytest.fixture(autouse=True)
def transaction():
    """The agent has no panel database: the shared rolled-back session stays out."""
    yield None


class Host:
    """A host's folders in tmp_path: logs, homes, cgroups and the agent's state file."""

    def __init__(self, folder: Path):
        self.logs = folder / "logs"
        self.homes = folder / "homes"
        self.cgroups = folder / "cgroup"
        self.state = folder / "state" / "state.json"
        for path in (self.logs, self.homes, self.cgroups, self.state.parent):
            path.mkdir(parents=True)

    def agent(self, engines: dict | None = None):
        return agent_module.Agent(
            self.logs, self.homes, self.cgroups, self.state, database_engines=engines or {}
        )

    def log(self, name: str, text: str, file: str = "access.log") -> Path:
        """Append TEXT to the webspace's log FILE (as nginx appends)."""
        path = self.logs / name / file
        path.parent.mkdir(exist_ok=True)
        with path.open("a") as handle:
            handle.write(text)
        return path

    def rotate(self, name: str) -> None:
        """What logrotate does with delaycompress and create: .1 compressed away, access.log
        renamed to .1, a new empty access.log."""
        folder = self.logs / name
        with contextlib.suppress(FileNotFoundError):
            (folder / "access.log.1").rename(folder / "access.log.2.gz")
        (folder / "access.log").rename(folder / "access.log.1")
        (folder / "access.log").touch()

    def cpu(self, name: str, usec: int | None) -> None:
        """The webspace's slice with USAGE_USEC, or no slice (None)."""
        folder = self.cgroups / "webspace.slice" / f"webspace-{name}.slice"
        if usec is None:
            (folder / "cpu.stat").unlink()
            folder.rmdir()
            return
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "cpu.stat").write_text(
            f"usage_usec {usec}\nuser_usec {usec // 2}\nsystem_usec {usec // 2}\n"
        )


@pytest.fixture
def host(tmp_path) -> Host:
    return Host(tmp_path)


def line(sent: int, request: str = "GET / HTTP/1.1", agent: str = "curl/7.88.1") -> str:
    """A line in the webspace log format, as nginx writes it."""
    return f'site.test 198.18.0.1 [2024-05-01T12:00:00+00:00] "{request}" 200 {sent} "{agent}"\n'


def scrape(agent) -> dict:
    """{(sample name, labels): value} of what a scrape returns now."""
    text = generate_latest(agent.registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def traffic(agent, name: str = A) -> tuple[float | None, float | None]:
    samples = scrape(agent)
    return value(samples, BYTES, webspace=name), value(samples, REQUESTS, webspace=name)


def test_bytes_and_requests_are_the_sums_of_the_logged_lines(host):
    host.log(A, line(100) + line(2500) + line(0))
    host.log(B, line(7))
    agent = host.agent()
    assert agent.run_pass("logs")
    assert traffic(agent, A) == (2600, 3)
    assert traffic(agent, B) == (7, 1)

    host.log(A, line(11) + line(22))
    assert agent.run_pass("logs")
    assert traffic(agent, A) == (2633, 5)
    assert traffic(agent, B) == (7, 1)
    assert value(scrape(agent), UNPARSED, webspace=A) == 0


def test_escaped_quotes_parse_and_lines_of_another_format_are_counted_apart(host):
    escaped = line(
        300, request="GET /a\\x22b?q=\\x5C HTTP/1.1", agent="Mozilla \\x22quoted\\x22 \\xC3\\xA4"
    )
    bare_quote = line(5000, request='GET /a"b HTTP/1.1')
    combined = '198.18.0.1 - - [01/May/2024:12:00:00 +0000] "GET / HTTP/1.1" 200 612 "-" "curl"\n'
    host.log(A, escaped + bare_quote + combined + "\n" + line(1, request="", agent="-"))
    agent = host.agent()
    agent.run_pass("logs")
    samples = scrape(agent)
    assert traffic(agent) == (301, 2)
    assert value(samples, UNPARSED, webspace=A) == 3


def test_a_partial_last_line_waits_for_its_end(host):
    whole = line(1234)
    host.log(A, line(1) + whole[:20])
    agent = host.agent()
    agent.run_pass("logs")
    assert traffic(agent) == (1, 1)
    host.log(A, whole[20:-1])
    agent.run_pass("logs")
    assert traffic(agent) == (1, 1)
    host.log(A, "\n")
    agent.run_pass("logs")
    assert traffic(agent) == (1235, 2)
    assert value(scrape(agent), UNPARSED, webspace=A) == 0


def test_rotation_finishes_the_old_file_then_reads_the_new_one(host):
    host.log(A, line(1) + line(2))
    agent = host.agent()
    agent.run_pass("logs")
    assert traffic(agent) == (3, 2)

    # Written after the last read, before logrotate renamed the file.
    host.log(A, line(4))
    host.rotate(A)
    # nginx writes on into the renamed file until it reopens its logs.
    host.log(A, line(8), file="access.log.1")
    host.log(A, line(16))
    agent.run_pass("logs")
    assert traffic(agent) == (31, 5)

    # Still before the reopen: the old file keeps getting lines, and they count.
    host.log(A, line(32), file="access.log.1")
    host.log(A, line(64))
    agent.run_pass("logs")
    assert traffic(agent) == (127, 7)

    # The next rotation compresses the old file away; the one before is finished first.
    host.log(A, line(128))
    host.rotate(A)
    host.log(A, line(256))
    agent.run_pass("logs")
    assert traffic(agent) == (511, 9)
    agent.run_pass("logs")
    assert traffic(agent) == (511, 9)


def test_a_rotation_without_a_new_file_yet_loses_nothing(host):
    host.log(A, line(1))
    agent = host.agent()
    agent.run_pass("logs")
    host.log(A, line(2))
    (host.logs / A / "access.log").rename(host.logs / A / "access.log.1")
    agent.run_pass("logs")
    assert traffic(agent) == (3, 2)
    host.log(A, line(4), file="access.log.1")
    host.log(A, line(8))
    agent.run_pass("logs")
    assert traffic(agent) == (15, 4)


def test_a_truncated_file_is_read_from_its_start(host):
    path = host.log(A, line(1000) + line(2000) + line(3000))
    agent = host.agent()
    agent.run_pass("logs")
    assert traffic(agent) == (6000, 3)
    with path.open("w") as handle:
        handle.write(line(5))
    agent.run_pass("logs")
    assert traffic(agent) == (6005, 4)


def test_the_state_is_written_before_the_totals_are_published(host, monkeypatch):
    host.log(A, line(10))
    agent = host.agent()
    seen = []
    publish = agent._publish

    def checked(collector, published):
        if collector in ("logs", "cpu"):
            persisted = json.loads(host.state.read_text())[collector]
            assert persisted == published
            seen.append(collector)
        publish(collector, published)

    monkeypatch.setattr(agent, "_publish", checked)
    host.cpu(A, 1_000_000)
    assert agent.run_pass("logs")
    assert agent.run_pass("cpu")
    assert seen == ["logs", "cpu"]


def test_a_failed_write_publishes_nothing_and_a_restart_counts_each_line_once(host, monkeypatch):
    host.log(A, line(10) + line(20))
    first = host.agent()
    assert first.run_pass("logs")
    assert traffic(first) == (30, 2)

    host.log(A, line(40))
    with monkeypatch.context() as patch:

        def full_disk(path, data):
            raise OSError(28, "No space left on device")

        patch.setattr(agent_module, "write_atomically", full_disk)
        assert not first.run_pass("logs")
    # Not persisted, so not published: a restart could not go below it.
    assert traffic(first) == (30, 2)
    assert value(scrape(first), ERRORS, collector="logs") == 1

    assert first.run_pass("logs")
    assert traffic(first) == (70, 3)
    host.log(A, line(80) + line(160)[:10])

    # The agent restarts (a new object on the same state file): before its first pass it
    # exports what the old one published, then counts only the lines written since.
    second = host.agent()
    assert traffic(second) == (70, 3)
    second.run_pass("logs")
    assert traffic(second) == (150, 4)
    host.log(A, line(160)[10:])
    second.run_pass("logs")
    assert traffic(second) == (310, 5)
    assert traffic(host.agent()) == (310, 5)


def test_an_unreadable_state_file_is_moved_aside(host):
    host.state.write_text("{not json")
    host.log(A, line(5))
    agent = host.agent()
    assert host.state.with_name("state.json.unreadable").read_text() == "{not json"
    agent.run_pass("logs")
    assert traffic(agent) == (5, 1)
    assert json.loads(host.state.read_text())["logs"][A]["bytes"] == 5


def test_cpu_total_runs_on_across_slice_restarts_and_agent_restarts(host):
    (host.homes / A).mkdir()
    agent = host.agent()
    host.cpu(A, 1_000_000)
    agent.run_pass("cpu")
    assert value(scrape(agent), CPU, webspace=A) == 1.0
    host.cpu(A, 3_000_000)
    agent.run_pass("cpu")
    assert value(scrape(agent), CPU, webspace=A) == 3.0
    # Slice stopped: the total stays.
    host.cpu(A, None)
    agent.run_pass("cpu")
    assert value(scrape(agent), CPU, webspace=A) == 3.0
    # Started again: its new usage counts from 0.
    host.cpu(A, 500_000)
    agent.run_pass("cpu")
    assert value(scrape(agent), CPU, webspace=A) == 3.5
    # A reading lower than the last one: the slice was restarted between two passes.
    host.cpu(A, 200_000)
    agent.run_pass("cpu")
    assert value(scrape(agent), CPU, webspace=A) == 3.7

    restarted = host.agent()
    assert value(scrape(restarted), CPU, webspace=A) == 3.7
    host.cpu(A, 1_200_000)
    restarted.run_pass("cpu")
    assert value(scrape(restarted), CPU, webspace=A) == 4.7


def test_a_slice_replaced_between_passes_counts_whole_even_when_higher():
    entry = agent_module.advance_cpu(agent_module.new_cpu_entry(), (111, 2_000_000))
    assert entry["total_usec"] == 2_000_000
    # Same reading trend but another cgroup (a new slice): its whole usage is new.
    assert agent_module.advance_cpu(entry, (222, 2_500_000))["total_usec"] == 4_500_000
    assert agent_module.advance_cpu(entry, (111, 2_500_000))["total_usec"] == 2_500_000


def test_cpu_is_read_from_the_unified_hierarchy_where_v1_is_mounted_too(host):
    (host.homes / A).mkdir()
    (host.cgroups / "cgroup.controllers").write_text("cpu memory pids\n")
    host.cpu(A, 1_000_000)
    agent = host.agent()
    agent.run_pass("cpu")
    assert value(scrape(agent), CPU, webspace=A) == 1.0
    # Hybrid: v1 controllers side by side with the v2 tree in unified/.
    (host.cgroups / "cgroup.controllers").rename(host.cgroups / "cgroup.clone_children")
    unified = host.cgroups / "unified" / "webspace.slice" / f"webspace-{A}.slice"
    unified.mkdir(parents=True)
    (host.cgroups / "unified" / "cgroup.controllers").write_text("")
    (unified / "cpu.stat").write_text("usage_usec 250000\n")
    agent.run_pass("cpu")
    assert value(scrape(agent), CPU, webspace=A) == 1.25


def du(path: Path) -> int:
    """Allocated bytes by coreutils' du: hard links once, symbolic links not followed."""
    output = subprocess.run(
        ["du", "-s", "--block-size=1", str(path)], capture_output=True, text=True, check=True
    )
    return int(output.stdout.split()[0])


def test_disk_usage_counts_each_inode_once_and_follows_no_link(host, tmp_path):
    home = host.homes / A
    (home / "domains" / "site" / "htdocs").mkdir(parents=True)
    data = home / "domains" / "site" / "htdocs" / "data.bin"
    data.write_bytes(os.urandom(256 * 1024))
    (home / "small.txt").write_text("x")
    outside = tmp_path / "outside.bin"
    outside.write_bytes(os.urandom(4 * 1024 * 1024))
    (home / "link-to-outside").symlink_to(outside)
    (home / "link-to-domains").symlink_to(home / "domains")
    agent = host.agent()
    agent.run_pass("disk")
    before = value(scrape(agent), DISK, webspace=A)
    assert before == du(home)
    assert 256 * 1024 < before < 1024 * 1024

    os.link(data, home / "hardlink.bin")
    agent.run_pass("disk")
    assert value(scrape(agent), DISK, webspace=A) == before == du(home)


def test_the_logins_temporary_folders_count_as_their_webspace_s(host):
    """Each SFTP/SSH login's own /tmp, /var/tmp and /dev/shm (roles/webspace's
    webspace_login_tmp_root) last from one of its sessions to the next: what lies there counts
    as its webspace's disk space, and only as its."""
    logins = host.homes / ".login-tmp"
    folders = {
        A: [logins / kind / f"{A}-eve" for kind in ("tmp", "var-tmp", "shm")]
        + [logins / "tmp" / f"{A}-sam"],
        B: [logins / "var-tmp" / f"{B}-vera"],
    }
    for name, own in folders.items():
        (host.homes / name).mkdir()
        (host.homes / name / "index.html").write_bytes(b"x" * 5000)
        for number, folder in enumerate(own, start=1):
            folder.mkdir(parents=True)
            (folder / "dump.sql").write_bytes(os.urandom(number * 64 * 1024))
    agent = host.agent()
    agent.run_pass("disk")
    samples = scrape(agent)
    for name, own in folders.items():
        expected = du(host.homes / name) + sum(du(folder) for folder in own)
        assert value(samples, DISK, webspace=name) == expected > du(host.homes / name)
    assert agent.webspaces() == [A, B]


def test_files_vanishing_during_the_walk_do_not_fail_it(host, monkeypatch):
    home = host.homes / A
    gone_folder = home / "gone-folder"
    gone_folder.mkdir(parents=True)
    (gone_folder / "f").write_bytes(b"y" * 10000)
    (home / "gone.txt").write_bytes(b"x" * 10000)
    (home / "kept.txt").write_bytes(b"z" * 10000)
    folder_blocks = os.lstat(gone_folder).st_blocks * 512
    scandir = os.scandir

    def vanishing(folder):
        # A file removed after the home was listed, a folder removed before it is listed.
        # The walk lists folders through their descriptors.
        path = Path(os.readlink(f"/proc/self/fd/{folder}") if isinstance(folder, int) else folder)
        if path == gone_folder:
            (gone_folder / "f").unlink()
            gone_folder.rmdir()
            return scandir(folder)
        if path != home:
            return scandir(folder)
        with scandir(folder) as listing:
            entries = list(listing)
        (home / "gone.txt").unlink()
        return contextlib.nullcontext(entries)

    monkeypatch.setattr(agent_module.os, "scandir", vanishing)
    agent = host.agent()
    assert agent.run_pass("disk")
    monkeypatch.undo()
    # The folder was there when the walk saw its entry in the home.
    assert value(scrape(agent), DISK, webspace=A) == du(home) + folder_blocks


def _plant_neighbour_and_outside(host, tmp_path) -> tuple[Path, Path]:
    """Another webspace's home with a big file, and a big file outside every home."""
    neighbour = host.homes / B
    (neighbour / "domains").mkdir(parents=True)
    (neighbour / "domains" / "wp-config.php").write_bytes(os.urandom(2 * 1024 * 1024))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big.bin").write_bytes(os.urandom(4 * 1024 * 1024))
    return neighbour, outside


def test_planted_links_are_counted_as_links_and_never_followed(host, tmp_path, monkeypatch):
    neighbour, outside = _plant_neighbour_and_outside(host, tmp_path)
    home = host.homes / A
    (home / "domains").mkdir(parents=True)
    (home / "domains" / "own.txt").write_bytes(b"x" * 5000)
    (home / "to-big-file").symlink_to(outside / "big.bin")
    (home / "to-outside-folder").symlink_to(outside)
    (home / "domains" / "to-neighbour").symlink_to(neighbour)
    (home / "to-root").symlink_to("/")
    opened = []
    real_open = os.open

    def watched(path, flags, *args, **kwargs):
        opened.append(path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(agent_module.os, "open", watched)
    agent = host.agent()
    assert agent.run_pass("disk")
    monkeypatch.undo()
    samples = scrape(agent)
    assert value(samples, DISK, webspace=A) == du(home) < 1024 * 1024
    assert value(samples, DISK, webspace=B) == du(neighbour) > 2 * 1024 * 1024
    links = {"to-big-file", "to-outside-folder", "to-neighbour", "to-root"}
    assert not links & set(map(str, opened)), opened


def test_a_folder_swapped_for_a_link_during_the_walk_is_not_followed(host, tmp_path, monkeypatch):
    """The race: `uploads` and `cache` are folders when the home is listed, and links (to
    another home, to a big file's folder outside) by the time the walk goes into them."""
    neighbour, outside = _plant_neighbour_and_outside(host, tmp_path)
    home = host.homes / A
    (home / "uploads").mkdir(parents=True)
    (home / "uploads" / "small.txt").write_bytes(b"x" * 5000)
    (home / "cache").mkdir()
    swaps = {"uploads": neighbour, "cache": outside}

    def swapped_first(function):
        def call(path, *args, **kwargs):
            name = Path(path).name if isinstance(path, (str, Path)) else None
            if name in swaps:
                target = swaps.pop(name)
                shutil.rmtree(home / name)
                (home / name).symlink_to(target)
            return function(path, *args, **kwargs)

        return call

    monkeypatch.setattr(agent_module.os, "open", swapped_first(os.open))
    monkeypatch.setattr(agent_module.os, "scandir", swapped_first(os.scandir))
    counted = agent_module.disk_usage(home)
    monkeypatch.undo()
    assert not swaps, "the walk never went for the folders"
    # The home alone: what were folders when it was listed are links now, left out, and
    # neither the neighbour's files nor the outside ones are counted.
    assert counted == os.lstat(home).st_blocks * 512 < 1024 * 1024


def test_a_home_or_log_folder_that_is_a_link_counts_nothing(host, tmp_path):
    neighbour, _ = _plant_neighbour_and_outside(host, tmp_path)
    (host.homes / A).symlink_to(neighbour)
    assert agent_module.disk_usage(host.homes / A) == 0
    host.log(B, line(1000))
    # abc01's log folder, and abc02's log in its own folder, lead to B's log.
    for name in ("abc01", "abc02"):
        (host.homes / name).mkdir()
    (host.logs / "abc01").symlink_to(host.logs / B)
    (host.logs / "abc02").mkdir()
    (host.logs / "abc02" / "access.log").symlink_to(host.logs / B / "access.log")
    agent = host.agent()
    assert not agent.run_pass("logs")
    assert traffic(agent, B) == (1000, 1)
    assert traffic(agent, "abc01") == traffic(agent, "abc02") == (0, 0)


def test_a_fifo_or_device_planted_as_the_log_does_not_hold_the_pass(host):
    host.log(B, line(10))
    (host.logs / A).mkdir()
    os.mkfifo(host.logs / A / "access.log")
    (host.logs / "abc01").mkdir()
    os.symlink("/dev/zero", host.logs / "abc01" / "access.log")
    agent = host.agent()
    done = threading.Event()
    threading.Thread(target=lambda: agent.run_pass("logs") or done.set(), daemon=True).start()
    poll(done.is_set, 10, "the logs pass hangs on a FIFO")
    assert traffic(agent, B) == (10, 1)
    assert traffic(agent, A) == (0, 0)


def test_database_output_is_parsed():
    assert agent_module.parse_mariadb("abc00_shop\t16384\nmysql\t2154496\nabc00_empty\t0\n") == {
        "abc00_shop": 16384,
        "mysql": 2154496,
        "abc00_empty": 0,
    }
    assert agent_module.parse_postgresql("postgres|7631663\nabc00_blog|7767827\n") == {
        "postgres": 7631663,
        "abc00_blog": 7767827,
    }
    assert agent_module.parse_mariadb("") == {}
    with pytest.raises(ValueError):
        agent_module.parse_postgresql("ERROR:  something\n")


def fake_command(folder: Path, name: str, output: str) -> Path:
    """An executable NAME in FOLDER that records its arguments and prints OUTPUT."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > "{folder}/{name}.args"\nprintf "{output}"\n'
    )
    script.chmod(0o755)
    return folder / f"{name}.args"


def test_database_sizes_come_from_the_engines_clients(tmp_path, monkeypatch):
    bin_folder = tmp_path / "bin"
    mysql_args = fake_command(bin_folder, "mysql", "abc00_shop\\t16384\\nmysql\\t99\\n")
    runuser_args = fake_command(bin_folder, "runuser", "abc00_blog|7767827\\n")
    fake_command(bin_folder, "psql", "")
    monkeypatch.setenv("PATH", str(bin_folder))
    sockets = tmp_path / "run"
    sockets.mkdir()
    monkeypatch.setattr(agent_module, "MARIADB_SOCKET", sockets / "mysqld.sock")
    monkeypatch.setattr(agent_module, "POSTGRESQL_SOCKETS", sockets)
    # Installed but not running: nothing asked, no error.
    assert agent_module.mariadb_sizes() is None
    assert agent_module.postgresql_sizes() is None

    (sockets / "mysqld.sock").touch()
    (sockets / ".s.PGSQL.5432").touch()
    assert agent_module.mariadb_sizes() == {"abc00_shop": 16384, "mysql": 99}
    assert mysql_args.read_text().splitlines() == [
        "--batch",
        "--skip-column-names",
        "-e",
        agent_module.MARIADB_QUERY,
    ]
    assert "LEFT JOIN information_schema.tables" in agent_module.MARIADB_QUERY
    assert agent_module.postgresql_sizes() == {"abc00_blog": 7767827}
    assert runuser_args.read_text().splitlines() == [
        *("-u", "postgres", "--", "psql", "-XAtq", "-c"),
        agent_module.POSTGRESQL_QUERY,
    ]

    (bin_folder / "mysql").write_text("#!/bin/sh\necho 'ERROR 2002: cannot connect' >&2\nexit 1\n")
    with pytest.raises(RuntimeError, match="ERROR 2002: cannot connect"):
        agent_module.mariadb_sizes()
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    assert agent_module.mariadb_sizes() is None


def test_only_databases_of_existing_webspaces_are_exported(host):
    for name in (A, B):
        (host.homes / name).mkdir()

    def broken():
        raise RuntimeError("psql exited with 2: connection refused")

    engines = {
        "mariadb": lambda: {"abc00_shop": 16384, "mysql": 1, "abc00": 5, "zzz99_x": 7},
        "postgresql": lambda: {"abd01_blog": 8192, "postgres": 2, "abc00shop": 3},
    }
    agent = host.agent(engines)
    assert agent.run_pass("databases")
    databases = {key: size for key, size in scrape(agent).items() if key[0] == DATABASE}
    assert databases == {
        (DATABASE, (("database", "abc00_shop"), ("engine", "mariadb"), ("webspace", A))): 16384,
        (DATABASE, (("database", "abd01_blog"), ("engine", "postgresql"), ("webspace", B))): 8192,
    }

    # An engine that is not there is no error; one whose query fails is.
    engines["mariadb"] = lambda: None
    assert agent.run_pass("databases")
    engines["postgresql"] = broken
    assert not agent.run_pass("databases")
    samples = scrape(agent)
    assert value(samples, ERRORS, collector="databases") == 1
    assert not any(key[0] == DATABASE for key in samples)


def test_webspaces_are_the_folders_named_like_one(host):
    for name in (A, "lost+found", "abc0", "ABC00", "abc000"):
        (host.homes / name).mkdir()
    (host.logs / B).mkdir()
    (host.logs / "abe02").write_text("a file, not a folder")
    (host.homes / "abf03").symlink_to(host.homes / A)
    assert host.agent().webspaces() == [A, B]


def test_a_webspace_that_is_gone_leaves_the_metrics(host):
    host.log(A, line(5))
    host.log(B, line(6))
    agent = host.agent()
    agent.run_pass("logs")
    assert traffic(agent, B) == (6, 1)
    for path in (host.logs / B).iterdir():
        path.unlink()
    (host.logs / B).rmdir()
    agent.run_pass("logs")
    assert traffic(agent, B) == (None, None)
    assert traffic(agent, A) == (5, 1)
    assert B not in json.loads(host.state.read_text())["logs"]


def test_collector_health_is_exported(host, monkeypatch):
    agent = host.agent()
    samples = scrape(agent)
    assert all(value(samples, LAST, collector=name) == 0 for name in agent_module.COLLECTORS)
    assert agent.run_pass("logs")
    first = value(scrape(agent), LAST, collector="logs")
    assert first > 1.6e9

    def unreadable(folder, entry):
        raise PermissionError(13, "Permission denied")

    host.log(A, line(1))
    monkeypatch.setattr(agent_module, "advance_log", unreadable)
    assert not agent.run_pass("logs")
    samples = scrape(agent)
    assert value(samples, LAST, collector="logs") == first
    assert value(samples, ERRORS, collector="logs") == 1
    assert value(samples, DURATION, collector="logs") >= 0


@contextlib.contextmanager
def serving(agent, token: bytes | None = None):
    server = agent_module.http_server("127.0.0.1:0", agent.registry, token)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def http_get(port: int, path: str = "/metrics", **headers) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.body = response.read()
        return response
    finally:
        connection.close()


def http_metrics(port: int, token: str | None = None) -> str:
    response = http_get(port, **({"Authorization": f"Bearer {token}"} if token else {}))
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return response.body.decode()


def test_a_scrape_only_reads_what_the_collectors_published(host, monkeypatch):
    calls = []

    def counted(name, function):
        def wrapper(*args, **kwargs):
            calls.append(name)
            return function(*args, **kwargs)

        monkeypatch.setattr(agent_module, name, wrapper)

    for name in ("advance_log", "cpu_reading", "disk_usage", "read_complete_lines"):
        counted(name, getattr(agent_module, name))
    (host.homes / A).mkdir()
    host.log(A, line(42))
    host.cpu(A, 2_000_000)
    agent = host.agent({"mariadb": lambda: calls.append("mariadb") or {"abc00_x": 1}})
    monkeypatch.setattr(agent, "webspaces", lambda: calls.append("webspaces") or [A])
    with serving(agent) as port:
        text = http_metrics(port)
        assert calls == []
        assert f'{BYTES}{{webspace="{A}"}}' not in text
        for collector in agent_module.COLLECTORS:
            agent.run_pass(collector)
        ran = list(calls)
        for _ in range(3):
            text = http_metrics(port)
        assert calls == ran
        compressed = http_get(port, **{"Accept-Encoding": "gzip"})
        assert compressed.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(compressed.body).decode() == text
        assert http_get(port, "/other").status == 404
        assert calls == ran
    assert f'{BYTES}{{webspace="{A}"}} 42.0' in text
    assert f'{CPU}{{webspace="{A}"}} 2.0' in text
    assert f'{DATABASE}{{database="abc00_x",engine="mariadb",webspace="{A}"}} 1.0' in text


def test_a_scrape_joins_what_was_rendered_when_published(host, monkeypatch):
    """A scrape renders none of the published values again (only the collectors' health),
    and answers what the registry's families give, plain and gzipped alike; a value published
    unchanged keeps its rendering."""
    (host.homes / A).mkdir()
    host.log(A, line(7))
    host.cpu(A, 3_000_000)
    agent = host.agent({"mariadb": lambda: {"abc00_x": 5}})
    for collector in agent_module.COLLECTORS:
        agent.run_pass(collector)
    rendered = []
    render = agent._families
    monkeypatch.setattr(
        agent,
        "_families",
        lambda section, value: rendered.append(section) or render(section, value),
    )
    assert agent.run_pass("logs")
    assert rendered == []
    host.log(A, line(8))
    assert agent.run_pass("logs")
    assert rendered == ["logs"]
    expected = generate_latest(agent.registry).decode()
    rendered.clear()
    with serving(agent) as port:
        plain = http_metrics(port)
        compressed = http_get(port, **{"Accept-Encoding": "gzip"})
    assert rendered == []
    assert plain == expected
    assert f'{BYTES}{{webspace="{A}"}} 15.0' in plain
    assert gzip.decompress(compressed.body).decode() == expected


def test_metric_names_and_labels_are_the_contracts(host):
    (host.homes / A).mkdir()
    host.log(A, line(1))
    host.cpu(A, 1)
    agent = host.agent({"postgresql": lambda: {"abc00_db": 1}})
    for collector in agent_module.COLLECTORS:
        agent.run_pass(collector)
    text = generate_latest(agent.registry).decode()
    families = {
        family.name: (family.type, {tuple(sorted(s.labels)) for s in family.samples})
        for family in text_string_to_metric_families(text)
    }
    webspace, collector = {("webspace",)}, {("collector",)}
    assert families == {
        "panel_webspace_disk_usage_bytes": ("gauge", webspace),
        "panel_webspace_http_response_bytes": ("counter", webspace),
        "panel_webspace_http_requests": ("counter", webspace),
        "panel_webspace_cpu_seconds": ("counter", webspace),
        "panel_database_size_bytes": ("gauge", {("database", "engine", "webspace")}),
        "panel_agent_last_collection_timestamp_seconds": ("gauge", collector),
        "panel_agent_collection_errors": ("counter", collector),
        "panel_agent_collection_duration_seconds": ("gauge", collector),
        "panel_agent_unparsed_log_lines": ("counter", webspace),
    }
    names = {name for name, _ in scrape(agent)}
    assert names == {
        BYTES,
        REQUESTS,
        UNPARSED,
        CPU,
        DISK,
        DATABASE,
        LAST,
        ERRORS,
        DURATION,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_only_a_scraper_with_the_token_is_answered(host):
    agent = host.agent()
    host.log(A, line(7))
    agent.run_pass("logs")
    with serving(agent, b"s3cret-token") as port:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-token"}):
            refused = http_get(port, **headers)
            assert refused.status == 401, headers
            assert refused.headers["WWW-Authenticate"].startswith("Bearer") and not refused.body
        assert f'{BYTES}{{webspace="{A}"}} 7.0' in http_metrics(port, "s3cret-token")


def test_the_token_is_taken_from_the_url_too(host):
    # Prometheus sends each host's own token as the URL parameter `token`.
    agent = host.agent()
    with serving(agent, b"host-token") as port:
        assert http_get(port, "/metrics?token=host-token").status == 200
        for path in ("/metrics?token=other-host", "/metrics?token=", "/metrics?tok=host-token"):
            assert http_get(port, path).status == 401, path
        assert http_get(port, "/other?token=host-token").status == 404


def closed_by_server(connection: socket.socket) -> bool:
    """Whether the server has closed CONNECTION (end of stream or reset), without waiting."""
    connection.setblocking(False)
    try:
        return connection.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


class Trickler(threading.Thread):
    """A client that sends its request head a byte at a time and never finishes it."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.stop = threading.Event()
        self.cut = threading.Event()

    def run(self) -> None:
        head = b"GET /metrics HTTP/1.1\r\nHost: agent\r\n" + b"X-Slow: " + b"a" * 10_000
        for byte in head:
            if self.stop.wait(0.05):
                return
            try:
                self.connection.send(bytes([byte]))
            except OSError:
                self.cut.set()
                return
        self.cut.set()


def test_idle_and_trickling_clients_are_cut_and_cannot_crowd_out_scrapes(host):
    host.log(A, line(5))
    agent = host.agent()
    agent.run_pass("logs")
    server = agent_module.http_server(
        "127.0.0.1:0", agent.registry, b"tok", request_timeout=1.0, max_connections=20
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(60)]
    tricklers = [Trickler(port) for _ in range(5)]
    try:
        for trickler in tricklers:
            trickler.start()
        # While they hang on (three times as many as may wait), scrapes are answered.
        for _ in range(10):
            assert f'{BYTES}{{webspace="{A}"}} 5.0' in http_metrics(port, "tok")
        # Every idle client is cut after the request timeout (or pushed out by newer ones),
        # and so is every trickler, although it keeps sending.
        poll(lambda: all(map(closed_by_server, idle)), 10, "idle connections stay open")
        poll(lambda: all(t.cut.is_set() for t in tricklers), 10, "tricklers stay connected")
        assert f'{BYTES}{{webspace="{A}"}} 5.0' in http_metrics(port, "tok")
    finally:
        for trickler in tricklers:
            trickler.stop.set()
            trickler.connection.close()
        for connection in idle:
            connection.close()
        server.shutdown()
        server.server_close()


def test_an_oversized_request_head_is_cut(host):
    agent = host.agent()
    with serving(agent, b"tok") as port:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20_000)
            poll(lambda: closed_by_server(connection), 10, "an endless head is read on")
        assert http_get(port, "/metrics?token=tok").status == 200


@pytest.mark.parametrize("content", ["", "\n", "one\ntwo\n"])
def test_a_token_file_without_one_token_stops_the_agent(tmp_path, content):
    path = tmp_path / "token"
    path.write_text(content)
    with pytest.raises(SystemExit, match="expected one line"):
        agent_module.read_token(path)


def test_the_service_serves_collects_and_stops_on_sigterm(host, tmp_path):
    host.log(A, line(321))
    port = free_port()
    token = tmp_path / "token"
    token.write_text("service-token\n")
    # No database client on PATH: the database collector finds no engine.
    arguments = [
        *("--listen", f"127.0.0.1:{port}", "--log-root", str(host.logs)),
        *("--home-root", str(host.homes), "--cgroup-root", str(host.cgroups)),
        *("--state", str(host.state), "--interval", "0.2", "--token-file", str(token)),
    ]
    with agent_service(arguments, {"PATH": str(tmp_path / "no-bin")}) as run:

        def served() -> str | None:
            try:
                text = http_metrics(port, "service-token")
            except OSError:
                return None
            return text if f'{BYTES}{{webspace="{A}"}} 321.0' in text else None

        poll(served, 10, "the agent does not serve the logged bytes")
        host.log(A, line(1000))
        poll(
            lambda: f'{BYTES}{{webspace="{A}"}} 1321.0' in http_metrics(port, "service-token"),
            10,
            "the agent does not collect on its interval",
        )
    assert run.process.returncode == 0, run.output
    assert "stopping" in run.output
    assert json.loads(host.state.read_text())["logs"][A]["bytes"] == 1321
