"""The managed-server playbooks against two real testbed hosts of the pool: server.yml (baseline,
firewall, SSH hardening, stacks, users and keys, sudo), its second and check-mode runs (the
panel's drift check), server-restart.yml, reboot.yml on a server, and server-release.yml in both
modes. The machine plays the panel; the second host is a neighbour on the network until it gets
a server of its own to wipe. The tests run in file order on shared state."""

import json
import secrets
import socket
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import paramiko
import pytest
from hosts_support import (
    Key,
    custom_stats,
    describe,
    failure_messages,
    http_get,
    new_key,
    on_host,
    poll,
    run_playbook,
    ssh_login,
    ssh_run,
    testbed_hosts,
)

from panel_testbed import state as saved

pytestmark = pytest.mark.testbed

HOSTNAME = "srv7"
OPEN, CLOSED = 8080, 8081
CONNECT_TIMEOUT = 3
LISTEN_TIMEOUT = 20
REBOOT_TIMEOUT = 180
# What a cloud image may bring along: passwords on, root with a password too. server.yml's
# drop-in must win over it.
CLOUD_SSHD = "/etc/ssh/sshd_config.d/50-cloud-init.conf"
ROOT_PASSWORD = secrets.token_urlsafe(16)
STACK_PACKAGES = ("nginx", "php-fpm", "mariadb-server", "postgresql")
STACK_DATA = ("/var/www", "/etc/nginx", "/etc/php", "/var/lib/mysql", "/var/lib/postgresql")
OPTIONS_KEY = 'command="/bin/sh" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 x'
TWO_LINES_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 a\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5 b"
PHP_PAGE = (
    "<?php echo 'php ' . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION . ' on ' . gethostname();\n"
)


@pytest.fixture(autouse=True)
def transaction():
    """These tests use no database of the test run: the shared rolled-back session stays out."""
    yield None


@dataclass
class Bed:
    state: saved.State
    keys: dict[str, Key] = field(default_factory=dict)

    @property
    def server(self) -> saved.Host:
        return self.state.hosts[0]

    @property
    def neighbour(self) -> saved.Host:
        return self.state.hosts[1]

    def key(self, name: str) -> Key:
        """A key pair per name, made once."""
        if name not in self.keys:
            self.keys[name] = new_key(f"{name}@tests")
        return self.keys[name]

    def play(
        self,
        playbook: str,
        host: saved.Host | None = None,
        expect: str = "successful",
        cmdline: str = "",
        **extravars,
    ):
        host = host or self.server
        started = time.monotonic()
        runner = run_playbook(self.state, playbook, host.name, extravars, cmdline)
        print(
            f"{playbook} {cmdline} on {host.name}: {runner.status}, "
            f"changed={changed(runner, host)}, {time.monotonic() - started:.1f} s"
        )
        assert runner.status == expect, describe(runner)
        return runner

    def sh(self, command: str, host: saved.Host | None = None) -> tuple[int, str]:
        return on_host(self.state, (host or self.server).name, command)

    def ok(self, command: str, host: saved.Host | None = None) -> str:
        status, output = self.sh(command, host)
        assert status == 0, f"{command}: exit {status}\n{output}"
        return output

    def neighbour_reaches(self, port: int) -> bool:
        """Whether the neighbour opens a TCP connection to the server's PORT."""
        probe = (
            "python3 -c 'import socket; socket.create_connection("
            f'("{self.server.address}", {port}), {CONNECT_TIMEOUT})\''
        )
        return self.sh(probe, self.neighbour)[0] == 0


def changed(runner, host: saved.Host) -> int:
    return runner.stats["changed"].get(host.name, 0) if runner.stats else -1


def changed_tasks(runner) -> dict[str, str]:
    """Each task that reported a change, with its results (diffs, output) as JSON text."""
    found: dict[str, str] = {}
    for event in runner.events:
        data = event.get("event_data") or {}
        result = data.get("res") or {}
        if event.get("event") in ("runner_on_ok", "runner_item_on_ok") and result.get("changed"):
            found[data["task"]] = found.get(data["task"], "") + json.dumps(result)
    return found


def reaches(address: str, port: int) -> bool:
    try:
        socket.create_connection((address, port), CONNECT_TIMEOUT).close()
    except OSError:
        return False
    return True


def login(bed: Bed, user: str, key: Key) -> str:
    """Who USER is on the server after logging in with KEY (`id -un`)."""
    client = ssh_login(bed.server, user, key)
    try:
        status, output = ssh_run(client, "id -un")
        assert status == 0, output
        return output.strip()
    finally:
        client.close()


def refused(bed: Bed, user: str, key: Key) -> bool:
    try:
        ssh_login(bed.server, user, key).close()
    except paramiko.AuthenticationException:
        return True
    return False


def sudo_as(bed: Bed, user: str, key: Key) -> tuple[int, str]:
    """`sudo -n id -un` in USER's own SSH session: never asks for a password."""
    client = ssh_login(bed.server, user, key)
    try:
        return ssh_run(client, "sudo -n id -un")
    finally:
        client.close()


def password_login(bed: Bed, user: str, password: str) -> list[str] | None:
    """The authentication methods sshd names when USER tries PASSWORD; None: logged in."""
    try:
        ssh_login(bed.server, user, password=password).close()
    except paramiko.BadAuthenticationType as refusal:
        return list(refusal.allowed_types)
    return None


def installed(bed: Bed, host: saved.Host, package: str) -> bool:
    status, output = bed.sh(f"dpkg-query -W -f '${{db:Status-Abbrev}}' {package}", host)
    return status == 0 and output.startswith("ii")


def server_vars(**overrides) -> dict:
    return {
        "server_hostname": HOSTNAME,
        "server_stacks": ["web", "mariadb", "postgresql"],
        "server_open_ports": [{"port": OPEN, "proto": "tcp"}],
        **overrides,
    }


@pytest.fixture(scope="module")
def bed() -> Iterator[Bed]:
    with testbed_hosts(2) as state:
        yield Bed(state)


def users(bed: Bed, *entries: tuple[str, bool, list[str]]) -> list[dict]:
    return [
        {"name": name, "sudo": sudo, "keys": [bed.key(key).public_line for key in keys]}
        for name, sudo, keys in entries
    ]


def host_fingerprint(bed: Bed) -> str:
    """What server.yml would change first: host name, firewall, sshd drop-ins, users, sudo."""
    return bed.ok(
        "hostname; nft list ruleset; ls /etc/ssh/sshd_config.d /etc/sudoers.d;"
        " getent group panel-users || true; getent passwd alice || true"
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"server_hostname": "Srv_7"}, "server_hostname must be a host name"),
        ({"server_stacks": ["web", "apache"]}, "server_stacks must be a list of"),
        ({"server_open_ports": [{"port": 70000, "proto": "tcp"}]}, "server_open_ports must be"),
        ({"server_open_ports": [{"port": 53, "proto": "icmp"}]}, "server_open_ports must be"),
        ({"server_users": [{"name": "mysql", "sudo": False, "keys": []}]}, "none of mysql"),
        ({"server_users": [{"name": "Al ice", "sudo": False, "keys": []}]}, "server_users must"),
        ({"server_users": [{"name": "alice", "sudo": "yes", "keys": []}]}, "server_users must"),
        # Options (a forced command, another source) and a second line are not the panel's.
        (
            {"server_users": [{"name": "alice", "sudo": False, "keys": [OPTIONS_KEY]}]},
            "Not an OpenSSH public key line: command=",
        ),
        (
            {"server_users": [{"name": "alice", "sudo": False, "keys": [TWO_LINES_KEY]}]},
            "Not an OpenSSH public key line: ssh-ed25519",
        ),
        # Accounts and groups the host has: never taken over.
        ({"server_users": [{"name": "www-data", "sudo": True, "keys": []}]}, "www-data"),
        ({"server_users": [{"name": "sudo", "sudo": False, "keys": []}]}, "belong to the host"),
    ],
)
def test_bad_settings_fail_before_anything_changes(bed, settings, message):
    before = host_fingerprint(bed)
    failed = bed.play("server.yml", expect="failed", **server_vars(**settings))
    reasons = " ".join(failure_messages(failed))
    assert message in reasons, reasons
    assert changed(failed, bed.server) == 0
    assert host_fingerprint(bed) == before


def test_a_host_that_lets_passwords_in_before(bed):
    # What server.yml must change: a cloud image's drop-in lets root in with a password.
    bed.ok(
        f"printf 'PasswordAuthentication yes\\nKbdInteractiveAuthentication yes\\n"
        f"PermitRootLogin yes\\n' > {CLOUD_SSHD} && echo 'root:{ROOT_PASSWORD}' | chpasswd"
        " && systemctl restart ssh"
    )
    # A restart, not a reload: systemctl returns once the new sshd is ready. After a reload it
    # returns at once, and the old sshd, starting itself again, reset a connection it had
    # accepted (seen under load in CI).
    poll(lambda: reaches(bed.server.address, 22), 10, "sshd does not listen after its restart")
    assert password_login(bed, "root", ROOT_PASSWORD) is None


def test_server_yml_sets_the_server_up(bed):
    applied = bed.play(
        "server.yml",
        **server_vars(server_users=users(bed, ("alice", True, ["alice"]), ("bob", False, ["bob"]))),
    )
    assert custom_stats(applied)["server"] == {
        "hostname": HOSTNAME,
        "stacks": ["web", "mariadb", "postgresql"],
        "users": ["alice", "bob"],
    }
    assert bed.ok("hostname") == f"{HOSTNAME}\n"
    assert bed.ok("getent hosts srv7").split() == ["127.0.1.1", HOSTNAME]
    assert bed.ok("systemctl is-enabled systemd-timesyncd") == "enabled\n"
    assert bed.ok("timedatectl show --property=Timezone --value") == "Etc/UTC\n"


def test_the_firewall_opens_ssh_web_and_the_given_ports_only(bed):
    for port in (OPEN, CLOSED):
        bed.ok(f"systemd-run --unit=probe-{port} python3 -m http.server {port}")
    # Both listen; the host itself reaches either.
    listening = " && ".join(
        f"curl -sf -o /dev/null http://127.0.0.1:{port}/" for port in (OPEN, CLOSED)
    )
    poll(lambda: bed.sh(listening)[0] == 0, LISTEN_TIMEOUT, "no probe listeners")
    assert "policy drop" in bed.ok("nft list chain inet panel_base input")
    assert reaches(bed.server.address, OPEN)
    assert not reaches(bed.server.address, CLOSED)
    for port in (22, 80, OPEN):
        assert bed.neighbour_reaches(port), port
    # SSH from anywhere, but the exporters only from the panel's Prometheus.
    for port in (CLOSED, 9100):
        assert not bed.neighbour_reaches(port), port


def test_sshd_takes_keys_only(bed):
    settings = bed.ok("sshd -T").splitlines()
    assert "passwordauthentication no" in settings
    assert "kbdinteractiveauthentication no" in settings
    # sshd -T names prohibit-password by its older alias.
    assert "permitrootlogin without-password" in settings
    for user, password in (("root", ROOT_PASSWORD), ("alice", "any-password")):
        assert password_login(bed, user, password) == ["publickey"], user


def test_users_log_in_with_their_keys_and_only_alice_has_sudo(bed):
    assert login(bed, "alice", bed.key("alice")) == "alice"
    assert login(bed, "bob", bed.key("bob")) == "bob"
    assert refused(bed, "alice", bed.key("bob"))
    assert sudo_as(bed, "alice", bed.key("alice")) == (0, "root\n")
    status, output = sudo_as(bed, "bob", bed.key("bob"))
    assert status != 0 and "root" not in output, output
    for user in ("alice", "bob"):
        entry = bed.ok(f"getent passwd {user}").strip().split(":")
        assert entry[5:] == [f"/home/{user}", "/bin/bash"]
        assert bed.ok(f"getent shadow {user}").split(":")[1].startswith("!")
        assert bed.ok(f"test -d /home/{user} && stat -c %U /home/{user}") == f"{user}\n"


def test_a_key_the_user_adds_to_its_home_does_not_log_in(bed):
    # Only the panel's keys: bob's key in alice's own authorized_keys lets nobody in.
    line = bed.key("bob").public_line
    bed.ok(
        f"runuser -u alice -- sh -c 'mkdir -p ~/.ssh && echo \"{line}\" >> ~/.ssh/authorized_keys'"
    )
    assert refused(bed, "alice", bed.key("bob"))


def test_the_stacks_serve_php_and_take_database_connections(bed):
    bed.ok(f"cat > /var/www/html/index.php << 'EOF'\n{PHP_PAGE}EOF")
    answer = http_get(bed.server.address, "anything.test", "/")
    assert answer.status == 200, answer
    # The Debian release's PHP, the one version under /etc/php.
    version = bed.ok("ls /etc/php").strip()
    assert answer.body == f"php {version} on {HOSTNAME}"
    assert bed.ok("mariadb --batch --skip-column-names -e 'SELECT 6 * 7'") == "42\n"
    assert bed.ok("cd / && runuser -u postgres -- psql -tAc 'SELECT 6 * 7'") == "42\n"


def test_a_second_run_and_a_check_run_change_nothing(bed):
    variables = server_vars(
        server_users=users(bed, ("alice", True, ["alice"]), ("bob", False, ["bob"]))
    )
    again = bed.play("server.yml", **variables)
    assert changed(again, bed.server) == 0, changed_tasks(again)
    checked = bed.play("server.yml", cmdline="--check --diff", **variables)
    assert changed(checked, bed.server) == 0, changed_tasks(checked)


def test_the_check_run_reports_changes_made_by_hand(bed):
    variables = server_vars(
        server_users=users(bed, ("alice", True, ["alice"]), ("bob", False, ["bob"]))
    )
    bed.ok("truncate --size=0 /etc/ssh/server-keys/alice")
    bed.ok("echo 'PermitRootLogin yes' >> /etc/ssh/sshd_config.d/00-panel-server.conf")
    bed.ok("echo 'bob ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/panel-user-bob")
    bed.ok(f"nft add rule inet panel_base input tcp dport {CLOSED} accept")
    assert reaches(bed.server.address, CLOSED)

    checked = bed.play("server.yml", cmdline="--check --diff", **variables)
    found = changed_tasks(checked)
    assert bed.key("alice").public_line in found["Authorize exactly the users' keys"]
    assert "PermitRootLogin yes" in found["Harden sshd"]
    assert "panel-user-bob" in found["Take sudo from the users who do not have it"]
    assert f"dport {CLOSED}" in found["Check that the firewall is loaded as written"]
    # A check changes nothing.
    assert reaches(bed.server.address, CLOSED)
    assert bed.ok("cat /etc/ssh/server-keys/alice") == ""

    repaired = bed.play("server.yml", **variables)
    assert changed(repaired, bed.server) > 0
    assert not reaches(bed.server.address, CLOSED)
    assert login(bed, "alice", bed.key("alice")) == "alice"
    assert sudo_as(bed, "bob", bed.key("bob"))[0] != 0
    again = bed.play("server.yml", cmdline="--check --diff", **variables)
    assert changed(again, bed.server) == 0, changed_tasks(again)


def test_users_and_keys_are_added_and_removed(bed):
    # bob has a process running; his removal ends it.
    bed.ok("systemd-run --uid=bob --unit=bobs-job sleep 6061")
    assert bed.ok("pgrep --full 'slee[p] 6061'").strip()
    applied = bed.play(
        "server.yml",
        **server_vars(
            server_users=users(bed, ("alice", True, ["alice2"]), ("carol", False, ["carol"]))
        ),
    )
    assert custom_stats(applied)["server"]["users"] == ["alice", "carol"]
    assert refused(bed, "alice", bed.key("alice"))
    assert login(bed, "alice", bed.key("alice2")) == "alice"
    assert login(bed, "carol", bed.key("carol")) == "carol"
    assert sudo_as(bed, "carol", bed.key("carol"))[0] != 0
    assert refused(bed, "bob", bed.key("bob"))
    assert bed.sh("getent passwd bob")[0] != 0
    assert bed.sh("pgrep --full 'slee[p] 6061'")[0] != 0
    for path in ("/home/bob", "/etc/ssh/server-keys/bob", "/etc/sudoers.d/panel-user-bob"):
        assert bed.sh(f"test -e {path}")[0] != 0, path
    assert bed.ok("getent group panel-users").strip().endswith(":alice,carol")


def unit_invocation(bed: Bed, service: str) -> str:
    """The invocation id of the unit that runs SERVICE (a new one at every start)."""
    pattern = {"php-fpm": "php*-fpm.service", "postgresql": "postgresql@*-main.service"}
    unit = bed.ok(
        f"systemctl list-units --plain --no-legend '{pattern.get(service, service + '.service')}'"
    ).split()[0]
    return bed.ok(f"systemctl show --property=InvocationID --value {unit}").strip()


@pytest.mark.parametrize("service", ["nginx", "php-fpm", "mariadb", "postgresql", "ssh"])
def test_server_restart_restarts_the_service(bed, service):
    before = unit_invocation(bed, service)
    bed.play("server-restart.yml", server_service=service)
    assert unit_invocation(bed, service) != before


def test_server_restart_refuses_other_services(bed):
    before = unit_invocation(bed, "nginx")
    failed = bed.play("server-restart.yml", expect="failed", server_service="nginx; reboot")
    reasons = " ".join(failure_messages(failed))
    assert "server_service must be one of nginx, php-fpm, mariadb, postgresql, ssh" in reasons
    assert unit_invocation(bed, "nginx") == before


def test_a_server_reboots_and_comes_back_as_it_was(bed):
    ruleset = bed.ok("nft list table inet panel_base")
    bed.ok("touch /run/before-reboot")
    bed.play("reboot.yml", reboot_timeout=REBOOT_TIMEOUT)
    assert bed.sh("test -e /run/before-reboot")[0] != 0
    assert bed.ok("nft list table inet panel_base") == ruleset
    assert bed.ok("hostname") == f"{HOSTNAME}\n"
    assert http_get(bed.server.address, "anything.test", "/").body.startswith("php ")
    assert login(bed, "carol", bed.key("carol")) == "carol"
    for unit in ("mariadb", "postgresql"):
        assert bed.ok(f"systemctl is-active {unit}") == "active\n"


def stack_gone(bed: Bed, host: saved.Host) -> None:
    """Asserts that HOST is back in the pool: no panel users, stacks, data, web or open ports."""
    for package in STACK_PACKAGES:
        assert not installed(bed, host, package), package
    for path in (*STACK_DATA, "/var/backups/panel-server-release"):
        assert bed.sh(f"test -e {path}", host)[0] != 0, path
    assert bed.sh("getent group panel-users", host)[0] != 0
    assert bed.ok("ls /home", host) == ""
    assert bed.ok("ls /etc/ssh/server-keys /etc/sudoers.d", host).split() == [
        "/etc/ssh/server-keys:",
        "/etc/sudoers.d:",
        "README",
    ]
    assert bed.ok("hostname", host) == f"{host.name}\n"
    rules = bed.ok("nft list chain inet panel_base input", host)
    assert "policy drop" in rules
    assert "dport { 80, 443 }" not in rules and f"dport {OPEN}" not in rules
    # SSH from the panel's sources only again (here: the machine's address).
    assert "0.0.0.0/0" not in bed.ok("nft list set inet panel_base ssh_v4", host)


def plant_links(bed: Bed, user: str, host: saved.Host | None = None) -> None:
    """What a user without sudo can leave for root's release: links out of its home to the
    shadow file and to a folder of root's. A hard link to the shadow file it cannot make (the
    kernel's fs.protected_hardlinks, which the release checks), one among its own files it can."""
    bed.ok("mkdir -p /root/keep-me && echo root > /root/keep-me/marker", host)
    bed.ok(
        f"runuser -u {user} -- sh -c 'ln -s /etc/shadow ~/shadow; ln -s /root/keep-me ~/keep'",
        host,
    )
    refused = bed.ok(
        f"runuser -u {user} -- sh -c 'ln /etc/shadow ~/shadow-hard 2>&1 || true'", host
    )
    assert "Operation not permitted" in refused, refused
    bed.ok(f"runuser -u {user} -- sh -c 'echo mine > ~/own; ln ~/own ~/own-twice'", host)


def links_were_not_followed(bed: Bed, host: saved.Host | None = None) -> None:
    assert bed.ok("cat /root/keep-me/marker", host) == "root\n"
    assert bed.ok("test -s /etc/shadow && echo there", host) == "there\n"


def test_release_with_archive_keeps_the_data_and_empties_the_host(bed, tmp_path):
    bed.ok("runuser -u alice -- sh -c 'echo kept > ~/notes.txt'")
    plant_links(bed, "carol")
    bed.ok(
        'mariadb -e "CREATE DATABASE shop; CREATE TABLE shop.items (name TEXT);'
        " INSERT INTO shop.items VALUES ('kept in mariadb')\""
    )
    bed.ok(
        "cd / && runuser -u postgres -- createdb blog && runuser -u postgres -- psql -d blog"
        " -c \"CREATE TABLE posts (title TEXT); INSERT INTO posts VALUES ('kept in postgresql')\""
    )
    released = bed.play(
        "server-release.yml",
        server_release_mode="archive",
        server_pool_hostname=bed.server.name,
        server_archive_dest=str(tmp_path),
    )
    name = custom_stats(released)["server_release"]["archive"]
    archive = tmp_path / name
    assert [path.name for path in tmp_path.iterdir()] == [name]
    assert name.startswith(bed.server.name) and name.endswith(".tar.gz")
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as packed:
        names = packed.getnames()
        assert "home/alice/notes.txt" in names and "home/carol" in names
        assert "var/www/html/index.php" in names
        assert read(packed, "home/alice/notes.txt") == "kept\n"
        assert "kept in mariadb" in read(packed, "databases/mariadb.sql")
        dumps = [name for name in names if name.startswith("databases/postgresql-")]
        assert len(dumps) == 1, names
        assert "kept in postgresql" in read(packed, dumps[0])
        # Packed as links: neither the shadow file nor root's folder went into the archive.
        planted = packed.getmember("home/carol/shadow")
        assert planted.issym() and planted.linkname == "/etc/shadow"
        assert packed.getmember("home/carol/keep").issym()
        assert "home/carol/shadow-hard" not in names
        assert read(packed, "home/carol/own-twice") == "mine\n"
        assert not [name for name in names if "keep-me" in name or name.endswith("marker")]
    links_were_not_followed(bed)
    stack_gone(bed, bed.server)
    assert reaches(bed.server.address, 22)
    assert not bed.neighbour_reaches(22)

    again = bed.play(
        "server-release.yml",
        server_release_mode="archive",
        server_pool_hostname=bed.server.name,
        server_archive_dest=str(tmp_path),
    )
    assert changed(again, bed.server) == 0, changed_tasks(again)
    assert custom_stats(again)["server_release"]["archive"] is None
    assert [path.name for path in tmp_path.iterdir()] == [name]


def read(packed: tarfile.TarFile, name: str) -> str:
    member = packed.extractfile(name)
    assert member is not None, name
    return member.read().decode()


def test_release_with_wipe_empties_the_host(bed):
    host = bed.neighbour
    bed.play(
        "server.yml",
        host,
        **server_vars(
            server_hostname="srv8",
            server_stacks=["web", "postgresql"],
            server_users=users(bed, ("dave", True, ["dave"])),
        ),
    )
    assert bed.ok("hostname", host) == "srv8\n"
    assert installed(bed, host, "nginx")
    plant_links(bed, "dave", host)
    released = bed.play(
        "server-release.yml", host, server_release_mode="wipe", server_pool_hostname=host.name
    )
    assert custom_stats(released)["server_release"] == {"archive": None}
    links_were_not_followed(bed, host)
    stack_gone(bed, host)
    again = bed.play(
        "server-release.yml", host, server_release_mode="wipe", server_pool_hostname=host.name
    )
    assert changed(again, host) == 0, changed_tasks(again)


def test_release_needs_a_mode_and_a_folder_for_the_archive(bed):
    for settings in (
        {"server_release_mode": "shred"},
        {"server_release_mode": "archive", "server_archive_dest": "relative/folder"},
        {"server_release_mode": "archive"},
    ):
        failed = bed.play("server-release.yml", expect="failed", **settings)
        assert "server_release_mode must be archive or wipe" in " ".join(failure_messages(failed))
        assert changed(failed, bed.server) == 0


@pytest.mark.parametrize("switch", ["protected_hardlinks", "protected_symlinks"])
def test_release_stops_where_users_could_plant_links_for_others(bed, switch):
    # The host's view of the kernel's switch as off: a file bound over it in its own mounts.
    bed.ok(f"echo 0 > /run/{switch}-off && mount --bind /run/{switch}-off /proc/sys/fs/{switch}")
    try:
        assert bed.ok(f"cat /proc/sys/fs/{switch}") == "0\n"
        failed = bed.play(
            "server-release.yml",
            expect="failed",
            server_release_mode="wipe",
            server_pool_hostname=bed.server.name,
        )
        said = " ".join(failure_messages(failed))
        assert "The kernel does not protect links and files on this host" in said
        assert changed(failed, bed.server) == 0
    finally:
        bed.ok(f"umount /proc/sys/fs/{switch}")
    assert bed.ok(f"cat /proc/sys/fs/{switch}") == "1\n"
