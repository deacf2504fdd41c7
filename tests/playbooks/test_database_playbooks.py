"""playbooks/database.yml and playbooks/sftp-user.yml against one real testbed host, run through
ansible-runner as the panel's worker runs them: MariaDB and PostgreSQL databases from creation
through archive and restore to purge, SFTP users with and without the jail, and no password in
any job's output. The tests run in file order on the same host."""

import json
import secrets
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import ansible_runner
import hosts_support
import paramiko
import pytest
from hosts_support import (
    Key,
    custom_stats,
    describe,
    failure_messages,
    host_named,
    new_key,
    on_host,
    poll,
    run_playbook,
    ssh_login,
)
from hosts_support import ssh_run as run

from panel_testbed import state as saved

pytestmark = pytest.mark.testbed

WEBSPACE = "abc00"
OTHER_WEBSPACE = "def00"
HOME = f"/home/webspaces/{WEBSPACE}"
BACKUPS = "/var/backups/webspaces"


@dataclass
class Host:
    """The one testbed host: playbook runs against it (each kept for the output checks), and
    commands on it as root."""

    state: saved.State
    name: str
    runs: list[ansible_runner.Runner] = field(default_factory=list)

    def attempt(self, playbook: str, **extravars) -> ansible_runner.Runner:
        """A run of PLAYBOOK with EXTRAVARS, whatever its outcome."""
        started = time.monotonic()
        runner = run_playbook(self.state, playbook, self.name, extravars)
        self.runs.append(runner)
        print(f"{playbook} {_summary(extravars)}: {time.monotonic() - started:.1f} s")
        return runner

    def play(self, playbook: str, **extravars) -> ansible_runner.Runner:
        """A successful run of PLAYBOOK with EXTRAVARS."""
        runner = self.attempt(playbook, **extravars)
        assert runner.status == "successful", describe(runner)
        return runner

    def sh(self, command: str) -> tuple[int, str]:
        return on_host(self.state, self.name, command)

    def out(self, command: str) -> str:
        """Standard output of COMMAND, which must succeed."""
        status, output = self.sh(command)
        assert status == 0, f"{command}: exit {status}\n{output}"
        return output.strip()

    @property
    def address(self) -> str:
        return host_named(self.state, self.name).address

    @property
    def ssh_port(self) -> int:
        return host_named(self.state, self.name).ssh_port


def _summary(extravars: dict) -> str:
    shown = ("webspace_name", "database_name", "database_state", "sftp_user_name")
    states = ("webspace_state", "sftp_user_state")
    return " ".join(str(extravars[key]) for key in (*shown, *states) if key in extravars)


def changed_tasks(runner: ansible_runner.Runner) -> list[str]:
    return [
        event["event_data"].get("task", "")
        for event in runner.events
        if event.get("event") in ("runner_on_ok", "runner_item_on_ok")
        and event["event_data"].get("res", {}).get("changed")
    ]


def assert_unchanged(runner: ansible_runner.Runner) -> None:
    assert not any(runner.stats["changed"].values()), changed_tasks(runner)


@pytest.fixture(autouse=True)
def transaction():
    """These tests use no database of the test run: the shared rolled-back session stays out."""
    yield None


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    """One testbed host with the webspace the SFTP users belong to (a database needs none of the
    webspace's unix accounts, so the other webspace exists by name only)."""
    # Through the module: pytest would collect a function named test* imported here as a test.
    with hosts_support.testbed_hosts(1) as state:
        host = Host(state, state.hosts[0].name)
        host.play(
            "webspace.yml",
            webspace_name=WEBSPACE,
            webspace_state="active",
            webspace_quota_soft_mib=100,
            webspace_quota_hard_mib=200,
            webspace_archive_days=30,
        )
        yield host


# Databases


@dataclass
class Database:
    """A database of one engine on the host, and how to use it there over TCP on 127.0.0.1."""

    host: Host
    engine: str
    name: str
    password: str
    port: int = 0

    @property
    def webspace(self) -> str:
        return self.name.split("_", 1)[0]

    @property
    def dump(self) -> str:
        return f"{BACKUPS}/{self.webspace}-db-{self.name}.sql.gz"

    def play(self, state: str) -> ansible_runner.Runner:
        runner = self.host.play(
            "database.yml",
            webspace_name=self.webspace,
            database_engine=self.engine,
            database_name=self.name,
            database_user=self.name,
            database_password=self.password,
            database_state=state,
        )
        stats = custom_stats(runner)["database"]
        assert (stats["name"], stats["engine"]) == (self.name, self.engine)
        self.port = stats["port"]
        return runner

    def query(self, sql: str, user: str = "", password: str = "", database: str = ""):
        """Exit status and output of SQL run over TCP as USER (default: the database's user)."""
        return self.host.sh(self.client(sql, user, password, database) + " 2>&1")

    def client(self, sql: str, user: str = "", password: str = "", database: str = "") -> str:
        """The command that runs SQL over TCP as USER (default: the database's user)."""
        user, password = user or self.name, password or self.password
        database = database or self.name
        if self.engine == "mariadb":
            return (
                f"mysql --host=127.0.0.1 --port={self.port} --user={user}"
                f" --password={shlex.quote(password)} --batch --skip-column-names"
                f" --database={database} --execute={shlex.quote(sql)}"
            )
        url = f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"
        return f"psql {shlex.quote(url)} --no-psqlrc -tAq -c {shlex.quote(sql)}"

    def administer(self, sql: str) -> str:
        """The output of SQL run as the server's administrator."""
        if self.engine == "mariadb":
            command = f"mysql --batch --skip-column-names --execute={shlex.quote(sql)}"
        else:
            command = (
                f"runuser -u postgres -- psql --port={self.port} --no-psqlrc -tAq"
                f" -c {shlex.quote(sql)}"
            )
        return self.host.out(f"cd / && {command}")

    def exists(self) -> bool:
        """Whether the database or its user exists, asked as the server's administrator."""
        names = (
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"
            " UNION ALL SELECT User FROM mysql.user"
        )
        if self.engine == "postgresql":
            names = "SELECT datname FROM pg_database UNION ALL SELECT rolname FROM pg_roles"
        return self.name in self.administer(names).split()

    def connections(self) -> int:
        """How many connections the database's user holds."""
        return int(self.administer(SESSIONS[self.engine].format(what="COUNT(*)", user=self.name)))

    def disconnect(self) -> None:
        """End the user's connections on the server (a client's end leaves a running query)."""
        if self.engine == "mariadb":
            self.administer(f"KILL USER '{self.name}'")
        else:
            ended = "COUNT(pg_terminate_backend(pid))"
            self.administer(SESSIONS[self.engine].format(what=ended, user=self.name))


def _password() -> str:
    return secrets.token_urlsafe(18)


@pytest.fixture(scope="module")
def passwords() -> list[str]:
    """Every database password used: none may show up in a job's output."""
    return []


@pytest.mark.parametrize("engine", ["mariadb", "postgresql"])
def test_database_lifecycle(host, passwords, engine):
    shop = Database(host, engine, f"{WEBSPACE}_my_shop", _password())
    other = Database(host, engine, f"{OTHER_WEBSPACE}_my_shop", _password())
    passwords.extend([shop.password, other.password])
    shop.play("active")
    other.play("active")

    assert shop.query("SELECT 1") == (0, "1\n")
    assert shop.query("SELECT 1", password=_password())[0] != 0
    # Another webspace's user cannot connect to it.
    status, output = shop.query("SELECT 1", user=other.name, password=other.password)
    assert status != 0, output
    assert shop.query("CREATE TABLE kept (note VARCHAR(20))")[0] == 0
    assert shop.query("INSERT INTO kept VALUES ('before the archive')")[0] == 0
    if engine == "mariadb":
        assert shop.name not in other.query("SHOW DATABASES", database=other.name)[1]
        # In a GRANT, _ matches any character: the user's grant must not reach this one.
        host.out("mysql --execute='CREATE DATABASE abc00_myxshop'")
        assert shop.query("SELECT 1", database="abc00_myxshop")[0] != 0
    assert_unchanged(shop.play("active"))

    shop.play("archived")
    assert host.out(f"stat -c '%a %U' {shop.dump}") == "600 root"
    assert host.out(f"gzip -t {shop.dump} && echo intact") == "intact"
    assert not shop.exists()
    assert shop.query("SELECT 1")[0] != 0
    assert other.query("SELECT 1") == (0, "1\n")

    shop.play("restored")
    assert shop.query("SELECT note FROM kept") == (0, "before the archive\n")
    assert host.sh(f"test -e {shop.dump}")[0] == 1
    assert shop.query("SELECT 1", user=other.name, password=other.password)[0] != 0

    shop.play("archived")
    shop.play("purged")
    assert host.sh(f"test -e {shop.dump}")[0] == 1
    assert not shop.exists()


MAX_CONNECTIONS = 10  # roles/database's database_max_connections
# The sessions of a database's user, as the administrator sees them (the test's own names).
SESSIONS = {
    "mariadb": "SELECT {what} FROM information_schema.PROCESSLIST WHERE USER = '{user}'",
    "postgresql": "SELECT {what} FROM pg_stat_activity WHERE usename = '{user}'",
}
REFUSED = {
    "mariadb": "has exceeded the 'max_user_connections' resource",
    "postgresql": "too many connections for role",
}


@pytest.mark.parametrize("engine", ["mariadb", "postgresql"])
def test_a_database_s_user_holds_at_most_its_connections(host, passwords, engine):
    """A database's user holds at most MAX_CONNECTIONS connections at once (a site's leak, a
    member's script that keeps them open): one more is refused with the reason, and another
    webspace's user still connects, where one webspace could otherwise take all of the
    server's connections from its neighbours' sites."""
    greedy = Database(host, engine, f"{WEBSPACE}_greedy", _password())
    calm = Database(host, engine, f"{OTHER_WEBSPACE}_calm", _password())
    passwords.extend([greedy.password, calm.password])
    greedy.play("active")
    calm.play("active")
    wait = "SELECT SLEEP(120)" if engine == "mariadb" else "SELECT pg_sleep(120)"
    holding = "".join(
        f"{greedy.client(wait)} </dev/null >/dev/null 2>&1 & echo $!; "
        for _ in range(MAX_CONNECTIONS)
    )
    pids = host.out(holding).split()
    try:
        poll(lambda: greedy.connections() == MAX_CONNECTIONS, 30, "the connections stay closed")
        status, output = greedy.query("SELECT 1")
        assert status != 0 and REFUSED[engine] in output, output
        assert calm.query("SELECT 1") == (0, "1\n")
    finally:
        host.sh(f"kill {' '.join(pids)}")
        greedy.disconnect()
    poll(lambda: greedy.connections() == 0, 30, "the connections stay open")
    assert greedy.query("SELECT 1") == (0, "1\n")


# SFTP users
# SFTP users


def connect(host: Host, user: str, key: Key | None = None, password: str | None = None):
    return ssh_login(host_named(host.state, host.name), user, key, password)


def sftp_user_vars(name: str, keys: list[str], chroot: bool, state: str = "active") -> dict:
    return {
        "webspace_name": WEBSPACE,
        "sftp_user_name": name,
        "sftp_user_keys": keys,
        "sftp_user_chroot": chroot,
        "sftp_user_state": state,
    }


def sftp_user(host: Host, name: str, keys: list[Key], chroot: bool, state: str = "active"):
    lines = [key.public_line for key in keys]
    return host.play("sftp-user.yml", **sftp_user_vars(name, lines, chroot, state))


def test_sftp_user_logs_in_with_exactly_its_keys(host):
    first, second = new_key("anna@laptop"), new_key("anna@phone")
    sftp_user(host, f"{WEBSPACE}-anna", [first], chroot=False)
    client = connect(host, f"{WEBSPACE}-anna", first)
    with client:
        # A login of the webspace user: its own name, the webspace user's uid and group.
        assert run(client, "echo $USER; id -un; id -gn; pwd") == (
            0,
            f"{WEBSPACE}-anna\n{WEBSPACE}\n{WEBSPACE}\n{HOME}\n",
        )
    assert host.out(f"id -u {WEBSPACE}-anna") == host.out(f"id -u {WEBSPACE}")
    with pytest.raises(paramiko.BadAuthenticationType) as refused:
        connect(host, f"{WEBSPACE}-anna", password="any password")
    assert refused.value.allowed_types == ["publickey"]

    sftp_user(host, f"{WEBSPACE}-anna", [second], chroot=False)
    with pytest.raises(paramiko.AuthenticationException):
        connect(host, f"{WEBSPACE}-anna", first)
    connect(host, f"{WEBSPACE}-anna", second).close()

    # Key options are not public key lines: the job fails and changes nothing.
    forced = f'command="/bin/sh" {first.public_line}'
    refused_run = host.attempt(
        "sftp-user.yml", **sftp_user_vars(f"{WEBSPACE}-anna", [forced], chroot=False)
    )
    assert refused_run.status == "failed"
    assert any("Not an OpenSSH public key line" in m for m in failure_messages(refused_run))
    connect(host, f"{WEBSPACE}-anna", second).close()


def test_jailed_sftp_user_sees_only_the_webspace_through_sftp(host):
    user, key = f"{WEBSPACE}-bob", new_key("bob@laptop")
    sftp_user(host, user, [key], chroot=True)
    assert_unchanged(sftp_user(host, user, [key], chroot=True))

    client = connect(host, user, key)
    with client:
        sftp = client.open_sftp()
        assert sorted(sftp.listdir("/")) == sorted(host.out(f"ls -A {HOME}").split())
        with pytest.raises(FileNotFoundError):
            sftp.stat("/etc/passwd")
        with sftp.open("/domains/upload.txt", "w") as upload:
            upload.write("uploaded by bob\n")
        sftp.close()
        # ForceCommand: whatever is asked for, the session gets the SFTP server.
        _, output = run(client, f"id; touch {HOME}/tmp/escaped")
        assert "uid=" not in output, output
    assert host.sh(f"test -e {HOME}/tmp/escaped")[0] == 1
    uploaded = f"{HOME}/domains/upload.txt"
    # The webspace user's file, whoever of its logins uploaded it: it may change it.
    assert host.out(f"stat -c '%U %G' {uploaded}") == f"{WEBSPACE} {WEBSPACE}"
    edit = f"echo edited by {WEBSPACE} >> {uploaded} && cat {uploaded}"
    assert host.out(f"runuser -u {WEBSPACE} -- sh -c {shlex.quote(edit)}") == (
        f"uploaded by bob\nedited by {WEBSPACE}"
    )
    # The Match blocks end with their file: the main configuration still applies to others.
    settings = host.out("sshd -T -C user=root,host=client,addr=198.18.0.1").splitlines()
    assert "x11forwarding yes" in settings

    sftp_user(host, user, [key], chroot=True, state="absent")
    with pytest.raises(paramiko.AuthenticationException):
        connect(host, user, key)
    assert host.out(f"stat -c %G {uploaded}") == WEBSPACE


def test_no_job_output_shows_a_database_password(host, passwords):
    assert passwords and host.runs
    for runner in host.runs:
        with runner.stdout as stdout:
            output = stdout.read()
        events = json.dumps(list(runner.events))
        for password in passwords:
            assert password not in output
            assert password not in events
