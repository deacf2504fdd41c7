"""A member attacks the host and a neighbour on a real testbed host: webspace mal00 is the
attacker, with an SSH login (mal00-eve, a shell), a jailed SFTP login (mal00-sam) and PHP code
requested over HTTP; webspace vic00 is the victim, whose wp-config.php holds a database password.

The attacks: links to /etc, /root and the victim's files as a document root (a new site, and
htdocs replaced before a certificate renewal), as files nginx would serve and as .well-known;
hard links to others' files; links and files planted in a shared folder (/run/lock); a
login's temporary folders read by another's; a service manager of the webspace's uid; a
login's processes outside its webspace's slice (unmetered); a site's code filling its temporary
folders (memory); reading others' processes; a fork bomb; namespaces; set-user-ID programs;
scheduled commands; binding a service's port while it restarts; links in root's folders (log,
ACME, archive) and what logrotate does; links and hard links planted before an archive, restored
and purged. Each job either fails with its reason in words or succeeds, and the would-be targets
keep their owner, mode and content. Also: the webspace's logins share its files with its PHP,
removing one ends only its sessions, and none logs in while the webspace is suspended or
archived.

The tests run in file order on shared state."""

import io
import re
import shlex
import tarfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
import pytest
from hosts_support import (
    AcmeServer,
    Key,
    acme_server,
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
    tls_certificate,
)

from panel_testbed import state as saved

pytestmark = pytest.mark.testbed

MAL, VIC = "mal00", "vic00"
EVE, SAM = f"{MAL}-eve", f"{MAL}-sam"
VERA = f"{VIC}-vera"  # the victim's login, while a test needs it
HOME = "/home/webspaces"
SITE, SECURE, VICTIM_SITE = "mallory.test", "secure.mallory.test", "victim.test"
MAL_HOME, VIC_HOME = f"{HOME}/{MAL}", f"{HOME}/{VIC}"
HTDOCS = f"{MAL_HOME}/domains/{SITE}/htdocs"
SECURE_HTDOCS = f"{MAL_HOME}/domains/{SECURE}/htdocs"
JAILED_HTDOCS = f"/domains/{SITE}/htdocs"  # the same folder as SAM sees it
VICTIM_HTDOCS = f"{VIC_HOME}/domains/{VICTIM_SITE}/htdocs"
VICTIM_CONFIG = f"{VICTIM_HTDOCS}/wp-config.php"
SECRET = "victim-db-secret"
PASSWD_LINE = "root:x:0:0"
# The attacker's PHP: a command as the webspace's PHP runs it; answers its status and output.
RUN_PHP = (
    "<?php exec($_GET['c'] . ' 2>&1', $out, $status);\n"
    'echo $status, "\\n", implode("\\n", $out);\n'
)
PEEK_PHP = (
    f"<?php $text = @file_get_contents('{VICTIM_CONFIG}');\n"
    "echo $text === false ? 'denied' : $text;\n"
)
# Starts up to n processes at once (no shell between), answers how many started, ends them.
FORK_PHP = (
    "<?php $started = [];\n"
    "for ($i = 0; $i < (int) $_GET['n']; $i++) {\n"
    "    $process = @proc_open(['sleep', '60'], [], $pipes);\n"
    "    if ($process === false) { break; }\n"
    "    $started[] = $process;\n"
    "}\n"
    "echo count($started);\n"
    "foreach ($started as $process) { proc_terminate($process); proc_close($process); }\n"
)
MAX_PROCESSES = 512  # roles/webspace's webspace_max_processes
PHP_TMPFS_MIB = 64  # roles/webspace's webspace_php_tmpfs_size
# A process that ignores SIGTERM, forks and exits, for as many seconds as it is given, touching
# a file as it goes: a new process every few milliseconds, which a list of processes misses.
HOP_PY = """import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
deadline = time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline:
    if os.fork():
        os._exit(0)
    os.utime(sys.argv[2])
    time.sleep(0.002)
"""
HOP_BEAT = f"{MAL_HOME}/tmp/hop.beat"
# Binds a TCP port on 127.0.0.1 and answers "bound", as a program waiting for a service's clients.
BIND_PY = (
    "import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); "
    "print('bound')"
)
# The services on a webspace host that listen on TCP without running as root, by their unit and
# their process's name (PostgreSQL's port depends on which were free when its cluster was made).
PORT_SERVICES = {
    "mariadb": "mariadbd",
    "postgresql": "postgres",
    "prometheus-node-exporter": "prometheus-node",
}
FIRST_MEMBER_PORT = 10000  # roles/webspace's webspace_unprivileged_port_start
# Appends a line to a file below the document root, as an application writes its uploads.
WRITE_PHP = (
    "<?php $done = file_put_contents(__DIR__ . '/' . $_GET['f'], \"php\\n\", FILE_APPEND);\n"
    "echo $done === false ? 'failed' : 'ok';\n"
)
# What an attack would change: owner, mode and content of each must stay as they were.
WATCHED = (
    "/etc",
    "/etc/passwd",
    "/etc/shadow",
    "/etc/ssh",
    "/etc/nginx",
    "/root",
    "/root/.ssh",
    "/usr/share/doc",
    "/var/log/webspaces",
    VIC_HOME,
    f"{VIC_HOME}/domains",
    VICTIM_HTDOCS,
    VICTIM_CONFIG,
    f"{VICTIM_HTDOCS}/index.html",
)
# Changed by the jobs themselves when logins are locked out or removed: checked for owner and
# mode only where those jobs run.
ACCOUNTS = ("/etc/passwd", "/etc/shadow")
# The logins' own temporary folders (roles/webspace's webspace_login_tmp_dirs), by the folder
# they stand in for in the logins' sessions.
LOGIN_TMP = {
    "/tmp": "/home/webspaces/.login-tmp/tmp",
    "/var/tmp": "/home/webspaces/.login-tmp/var-tmp",
    "/dev/shm": "/home/webspaces/.login-tmp/shm",
}
LINK_REFUSED = "The panel follows no symbolic link in a webspace and changed nothing there"


@pytest.fixture(autouse=True)
def transaction():
    """These tests use no database of the test run: the shared rolled-back session stays out."""
    yield None


@dataclass
class Bed:
    state: saved.State
    acme: AcmeServer
    folder: Path
    keys: dict[str, Key] = field(default_factory=dict)

    @property
    def host(self) -> saved.Host:
        return self.state.hosts[0]

    def play(self, playbook: str, expect: str = "successful", **extravars):
        started = time.monotonic()
        runner = run_playbook(self.state, playbook, self.host.name, extravars)
        shown = {key: value for key, value in extravars.items() if key.endswith(("name", "state"))}
        print(f"{playbook} {shown}: {runner.status}, {time.monotonic() - started:.1f} s")
        assert runner.status == expect, describe(runner)
        return runner

    def again_unchanged(self, playbook: str, **extravars) -> None:
        runner = self.play(playbook, **extravars)
        assert runner.stats["changed"].get(self.host.name, 0) == 0, describe(runner)

    def sh(self, command: str) -> tuple[int, str]:
        return on_host(self.state, self.host.name, command)

    def ok(self, command: str) -> str:
        status, output = self.sh(command)
        assert status == 0, f"{command}: exit {status}\n{output}"
        return output

    def login(self, user: str) -> paramiko.SSHClient:
        return ssh_login(self.host, user, self.keys[user])

    def as_eve(self, command: str, stdin: bytes = b"") -> tuple[int, str]:
        """COMMAND in a shell of the SSH login EVE."""
        with self.login(EVE) as client:
            return ssh_run(client, command, stdin)

    def php(self, command: str) -> tuple[int, str]:
        """COMMAND run by the attacker's PHP, requested over HTTP."""
        query = urllib.parse.quote(command, safe="")
        response = http_get(self.host.address, SITE, f"/run.php?c={query}")
        assert response.status == 200, response
        status, _, output = response.body.partition("\n")
        return int(status), output

    def get(self, name: str, path: str = "/", https: bool = False):
        return http_get(self.host.address, name, path, https=https, ca_file=self.root_file)

    @property
    def root_file(self) -> Path:
        path = self.folder / "issued-root.pem"
        if not path.exists():
            path.write_text(self.acme.issued_root_pem())
        return path

    def write_as(self, user: str, path: str, content: str) -> None:
        quoted = shlex.quote(content)
        self.ok(f"printf %s {quoted} | runuser -u {user} -- tee {path} >/dev/null")

    def fingerprint(self, accounts: bool = True) -> dict[str, str]:
        """Owner, mode, type and a checksum of the content of each watched path (of a folder:
        of its entries' names, owners, modes and types); without ACCOUNTS' content unless
        ACCOUNTS."""
        script = (
            'for p in "$@"; do'
            ' if [ -d "$p" ] && [ ! -L "$p" ]; then'
            "  c=$(find \"$p\" -mindepth 1 -maxdepth 1 -printf '%P %u %g %m %y\\n' | sort"
            "   | sha256sum);"
            ' elif [ -f "$p" ] && [ ! -L "$p" ]; then c=$(sha256sum < "$p");'
            " else c=none; fi;"
            ' echo "$p|$(stat -c \'%U:%G %a %F\' "$p" 2>&1)|${c%% *}";'
            " done"
        )
        output = self.ok(f"sh -c {shlex.quote(script)} - {' '.join(WATCHED)}")
        found = {line.split("|", 1)[0]: line for line in output.splitlines()}
        if not accounts:
            found.update({path: found[path].rsplit("|", 1)[0] for path in ACCOUNTS})
        return found


def webspace(name: str, state: str) -> dict:
    return {
        "webspace_name": name,
        "webspace_state": state,
        "webspace_quota_soft_mib": 100,
        "webspace_quota_hard_mib": 110,
    }


def domain(bed: Bed, owner: str, name: str, **more) -> dict:
    return {
        "webspace_name": owner,
        "webspace_state": "active",
        "domain_name": name,
        "domain_state": "active",
        "domain_tls": False,
        "acme_directory_url": bed.acme.directory_url,
        "acme_email": "hostmaster@example.org",
        "acme_ca_cert": bed.acme.ca_cert_pem,
        **more,
    }


def login_vars(bed: Bed, name: str, chroot: bool, **more) -> dict:
    if name not in bed.keys:
        bed.keys[name] = new_key(f"{name}@laptop")
    return {
        "webspace_name": MAL,
        "sftp_user_name": name,
        "sftp_user_keys": [bed.keys[name].public_line],
        "sftp_user_chroot": chroot,
        "sftp_user_state": "active",
        **more,
    }


@pytest.fixture(scope="module")
def bed(tmp_path_factory) -> Iterator[Bed]:
    with testbed_hosts(1) as state, acme_server() as acme:
        bed = Bed(state, acme, tmp_path_factory.mktemp("attacks"))
        for name in (MAL, VIC):
            bed.play("webspace.yml", **webspace(name, "active"))
        bed.play("domain.yml", **domain(bed, VIC, VICTIM_SITE))
        bed.write_as(VIC, VICTIM_CONFIG, f"<?php define('DB_PASSWORD', '{SECRET}');\n")
        bed.play("domain.yml", **domain(bed, MAL, SITE))
        for name, content in (("run.php", RUN_PHP), ("peek.php", PEEK_PHP)):
            bed.write_as(MAL, f"{HTDOCS}/{name}", content)
        bed.play("sftp-user.yml", **login_vars(bed, EVE, chroot=False))
        bed.play("sftp-user.yml", **login_vars(bed, SAM, chroot=True))
        yield bed


@contextmanager
def victim_login(bed: Bed, chroot: bool) -> Iterator[str]:
    """VERA, a login of the victim's webspace, while the block runs."""
    bed.play("sftp-user.yml", **login_vars(bed, VERA, chroot=chroot, webspace_name=VIC))
    try:
        yield VERA
    finally:
        bed.play(
            "sftp-user.yml",
            **login_vars(bed, VERA, chroot=chroot, webspace_name=VIC, sftp_user_state="absent"),
        )


def assert_not_served(response, *secrets: str) -> None:
    assert response.status in (403, 404), response
    for secret in secrets:
        assert secret not in response.body


def test_nginx_serves_no_link_to_another_owner_s_file(bed):
    status, output = bed.as_eve(
        f"cd {HTDOCS} && ln -s /etc/passwd passwd.txt && ln -s /etc/passwd leak.php"
        " && ln -s index.html own.html"
    )
    assert status == 0, output
    with bed.login(SAM) as client, client.open_sftp() as sftp:
        sftp.symlink(VICTIM_CONFIG, f"{JAILED_HTDOCS}/victim.txt")
    assert bed.php(f"ln -s {VICTIM_HTDOCS} {HTDOCS}/victimdir") == (0, "")
    # nginx itself may read the victim's site (it serves it): only the link check stops it.
    assert SECRET in bed.ok(f"runuser -u www-data -- cat {VICTIM_CONFIG}")

    for path in ("/passwd.txt", "/leak.php"):
        assert_not_served(bed.get(SITE, path), PASSWD_LINE)
    for path in ("/victim.txt", "/victimdir/wp-config.php", "/victimdir/index.html"):
        assert_not_served(bed.get(SITE, path), SECRET, VICTIM_SITE)
    own = bed.get(SITE, "/own.html")
    assert own.status == 200 and SITE in own.body
    # An address that names no file goes to the site's index.php: planted as a link there, it
    # is not followed either (nor by the index of the site's root).
    assert bed.as_eve(f"ln -s /etc/passwd {HTDOCS}/index.php") == (0, "")
    assert_not_served(bed.get(SITE, "/2026/12/a-post/"), PASSWD_LINE)
    assert PASSWD_LINE not in bed.get(SITE, "/").body
    assert bed.as_eve(f"rm {HTDOCS}/index.php") == (0, "")

    # The attacker's PHP cannot read the victim's files either.
    assert bed.get(SITE, "/peek.php").body == "denied"
    status, output = bed.php(f"cat {VICTIM_CONFIG}")
    assert status != 0 and SECRET not in output


def test_hard_links_to_another_owner_s_file_are_refused(bed):
    assert bed.ok("cat /proc/sys/fs/protected_hardlinks").strip() == "1"
    # One filesystem: a refused link is the kernel's protection, not a cross-device error.
    assert bed.ok(f"stat -c %d /etc/passwd {HTDOCS} | sort -u | wc -l").strip() == "1"
    status, output = bed.as_eve(f"ln /etc/passwd {HTDOCS}/passwd-hard.txt")
    assert status != 0 and "Operation not permitted" in output, output
    # PHP sees /etc read-only mounted (ProtectSystem): a system file elsewhere on the same
    # filesystem, as readable.
    status, output = bed.php(f"ln /var/lib/dpkg/status {HTDOCS}/php-hard.txt")
    assert status != 0 and "Operation not permitted" in output, output
    status, output = bed.as_eve(f"ln {VICTIM_CONFIG} {HTDOCS}/victim-hard.txt")
    assert status != 0 and "Permission denied" in output, output
    for path in ("/passwd-hard.txt", "/php-hard.txt", "/victim-hard.txt"):
        assert_not_served(bed.get(SITE, path), PASSWD_LINE, "Package: ", SECRET)
    # A hard link among the member's own files is theirs to make.
    assert bed.as_eve(f"ln {HTDOCS}/index.html {HTDOCS}/index-twice.html")[0] == 0
    assert bed.get(SITE, "/index-twice.html").status == 200


def test_what_a_member_plants_in_shared_folders_catches_nobody(bed):
    """/run/lock is shared, world-writable and sticky (the temporary folders are each login's
    own, see below): a link planted there under a name the victim writes to leads nowhere, and a
    file planted there (writable by all) takes none of the victim's writes. The kernel's
    protections, which the host's setup requires (roles/base's links.yml)."""
    folder = "/run/lock"
    assert bed.ok(f"stat -c %a {folder}") == "1777\n"
    link, trap = f"{folder}/notes.txt", f"{folder}/report.txt"
    before = bed.fingerprint()
    status, output = bed.as_eve(
        f"ln -s {VICTIM_HTDOCS}/index.html {link} && touch {trap} && chmod 666 {trap}"
    )
    assert status == 0, output
    try:
        for target in (link, trap):
            status, output = bed.sh(f"runuser -u {VIC} -- sh -c 'echo {SECRET} >> {target}' 2>&1")
            assert status != 0 and "Permission denied" in output, output
        assert bed.fingerprint() == before
        assert SECRET not in bed.as_eve(f"cat {trap}")[1]
    finally:
        bed.as_eve(f"rm -f {link} {trap}")


def test_a_login_s_temporary_folders_are_its_own(bed):
    """Each SFTP/SSH login has /tmp, /var/tmp and /dev/shm of its own, kept from one of its
    sessions to the next, on disk in its webspace's quota: what the victim's login leaves there
    readable (a database dump), the attacker's login neither lists nor reads, and a link the
    attacker plants there under a name the victim writes to is not where the victim writes.
    Removing a login removes its folders, following none of the links planted there."""
    untouched = bed.fingerprint(accounts=False)
    with victim_login(bed, chroot=False) as vera:
        leave = " && ".join(
            f"echo {SECRET} > {folder}/dump.sql && chmod 644 {folder}/dump.sql"
            for folder in LOGIN_TMP
        )
        with bed.login(vera) as client:
            assert ssh_run(client, leave) == (0, "")
        plant = " && ".join(
            f"ln -s {VICTIM_HTDOCS}/index.html {folder}/notes.txt" for folder in LOGIN_TMP
        )
        assert bed.as_eve(plant) == (0, "")
        before = bed.fingerprint()
        with bed.login(vera) as client:
            for folder in LOGIN_TMP:
                assert ssh_run(client, f"cat {folder}/dump.sql") == (0, f"{SECRET}\n")
                assert ssh_run(client, f"echo {SECRET} >> {folder}/notes.txt") == (0, "")
        assert bed.fingerprint() == before

        for folder, parent in LOGIN_TMP.items():
            status, listed = bed.as_eve(f"ls -A {folder}")
            assert status == 0 and "dump.sql" not in listed and "notes.txt" in listed, listed
            status, output = bed.as_eve(f"cat {folder}/dump.sql")
            assert status != 0 and "No such file" in output and SECRET not in output, output
            # Not in the host's shared folder either, but in the login's own, the victim's.
            assert bed.sh(f"test -e {folder}/dump.sql")[0] != 0
            mine = f"{parent}/{vera}/dump.sql"
            assert bed.ok(f"stat -c '%U %a' {mine}").split() == [VIC, "644"]
            assert bed.ok(f"stat -c '%U %a' {parent}").split() == ["root", "0"]
            status, output = bed.as_eve(f"ls {parent} {parent}/{vera}")
            assert status != 0 and "Permission denied" in output and SECRET not in output
        status, listed = bed.php("ls -A /tmp /var/tmp /dev/shm")
        assert status == 0 and "dump.sql" not in listed, listed
        plant = " && ".join(
            f"ln -s /etc {folder}/etc && ln -s /root {folder}/root"
            f" && ln -s {VIC_HOME} {folder}/home && ln {folder}/dump.sql {folder}/dump-hard"
            for folder in LOGIN_TMP
        )
        with bed.login(vera) as client:
            assert ssh_run(client, plant) == (0, "")
            # Each folder is a mount of its own in the session: no hard link into the home.
            status, output = ssh_run(client, f"ln {VICTIM_CONFIG} /tmp/config-hard")
            assert status != 0 and "Invalid cross-device link" in output, output
    # Removing a login removes its folders and what lies in them, and nothing they lead to.
    assert bed.fingerprint(accounts=False) == untouched
    for parent in LOGIN_TMP.values():
        assert bed.sh(f"test -e {parent}/{VERA}")[0] != 0
        assert bed.sh(f"test -d {parent}/{EVE}")[0] == 0


def test_a_webspace_s_uid_gets_no_service_manager(bed):
    """Where libpam-systemd is installed, logind starts user@<uid>.service for a login's session
    (the testbed's image has none, so root starts it here as logind would): its services would
    run outside the login's own temporary folders and its webspace's process limit. A webspace's
    uid gets none; root's is let through (here it then stops for want of a logind session)."""
    uid = bed.ok(f"id -u {MAL}").strip()
    manager = f"user@{uid}.service"
    started = "systemctl show --property=ExecMainStartTimestampMonotonic --value"
    try:
        bed.ok(f"systemctl start {manager}")
        assert bed.ok(f"systemctl is-active {manager} || true") == "inactive\n"
        assert bed.ok(f"{started} {manager}") == "0\n"
        assert "Skipped due to 'exec-condition'" in bed.ok(f"journalctl -u {manager} --no-pager")
        assert bed.sh(f"pgrep -u {MAL} -x systemd")[0] == 1
        bed.sh("systemctl start user@0.service")
        assert bed.ok(f"{started} user@0.service") != "0\n"
    finally:
        bed.sh(f"systemctl stop user@0.service {manager}; systemctl reset-failed user@0.service")


def login_scope(webspace: str) -> str:
    """The line of /proc/<pid>/cgroup of a process in a session of one of WEBSPACE's logins."""
    return rf"/webspace\.slice/webspace-{webspace}\.slice/webspace-login-{webspace}-\d+-\d+\.scope$"


def slice_cpu_usec(bed: Bed, webspace: str) -> int:
    """The CPU time of WEBSPACE's slice, as the metering agent reads it (cgroup v2)."""
    path = f"webspace.slice/webspace-{webspace}.slice/cpu.stat"
    found = bed.ok(f"cat /sys/fs/cgroup/unified/{path} 2>/dev/null || cat /sys/fs/cgroup/{path}")
    return int(re.search(r"^usage_usec (\d+)$", found, re.M)[1])


def login_scopes(bed: Bed, login: str) -> list[str]:
    """The scopes of LOGIN's open sessions (their descriptions name the login)."""
    units = bed.ok("systemctl list-units --plain --no-legend 'webspace-login-*.scope'")
    return [line.split()[0] for line in units.splitlines() if f" login {login} of " in line]


def test_a_login_s_processes_are_its_webspace_s(bed):
    """What an SFTP/SSH login runs is in its webspace's slice, as its PHP is, in a scope of its
    own per session: its CPU is metered to the webspace (the agent reads the slice), where a
    member's build or a program left running over SSH would otherwise be metered to nobody, and
    the slice's limits hold for it. A jailed SFTP login's session too; another webspace's login
    is in that webspace's slice; root's sessions are in none. A session's scope ends with it."""
    status, cgroup = bed.as_eve("cat /proc/self/cgroup")
    assert status == 0 and re.search(login_scope(MAL), cgroup, re.M), cgroup
    before = slice_cpu_usec(bed, MAL)
    # A second of CPU, however loaded the machine is.
    burn = "python3 -c 'import time\nwhile time.process_time() < 1: pass'"
    assert bed.as_eve(burn) == (0, "")
    assert slice_cpu_usec(bed, MAL) - before >= 1_000_000

    with bed.login(SAM) as client, client.open_sftp() as sftp:
        assert "domains" in sftp.listdir("/")
        [scope] = login_scopes(bed, SAM)
        group = bed.ok(f"systemctl show --property=ControlGroup --value {scope}").strip()
        assert re.search(login_scope(MAL), group), group
        procs = f"{group}/cgroup.procs"
        pids = bed.ok(f"cat /sys/fs/cgroup/unified{procs} 2>/dev/null || cat /sys/fs/cgroup{procs}")
        commands = bed.ok(f"for p in {' '.join(pids.split())}; do cat /proc/$p/cmdline; echo; done")
        assert f"{SAM}@internal-sftp" in commands.replace("\0", " "), commands
    poll(lambda: not login_scopes(bed, SAM), 20, "the ended session's scope stays")

    with victim_login(bed, chroot=False) as vera, bed.login(vera) as client:
        status, cgroup = ssh_run(client, "cat /proc/self/cgroup")
        assert status == 0 and re.search(login_scope(VIC), cgroup, re.M), cgroup
        assert f"webspace-{MAL}.slice" not in cgroup
    assert "webspace" not in bed.ok("cat /proc/self/cgroup")


def logged_in_as_eve(bed: Bed) -> bool:
    """Whether EVE gets a session that runs a command (sshd ends the connection after the
    login where PAM refuses the session)."""
    try:
        return bed.as_eve("echo in") == (0, "in\n")
    except (paramiko.SSHException, EOFError, ConnectionError):
        return False


def test_a_login_that_cannot_join_its_webspace_s_slice_is_refused(bed):
    """Where systemd cannot put a login's session into its webspace's slice (its bus is down
    here), the login is refused, with the reason in the host's log: a session outside the slice
    would be metered to nobody and held by none of its limits. Root still logs in."""
    journal = "journalctl --identifier=webspace-login-slice --no-pager --output=cat"
    try:
        bed.ok("systemctl stop dbus.socket dbus.service")
        assert not logged_in_as_eve(bed)
        said = f"systemd made no scope for {EVE}"
        poll(lambda: said in bed.ok(journal), 10, "the journal does not say why")
        assert bed.ok("echo root") == "root\n"
    finally:
        bed.ok("systemctl start dbus.socket dbus.service")
    # systemd takes its name on the new bus a moment after the bus starts.
    poll(lambda: logged_in_as_eve(bed), 20, "EVE is still refused with the bus back", 0.5)


def test_each_webspace_s_memory_has_a_limit_of_its_own(bed):
    """Each webspace's slice, where its PHP and its logins run, has a memory limit of a quarter
    of the host's memory (roles/webspace's webspace_memory_max), its own and not a neighbour's.
    Shown as systemd's setting only: the testbed's containers have no memory controller of their
    own, so the kernel's enforcing it cannot be seen here."""
    total = int(re.search(r"^MemTotal: +(\d+) kB$", bed.ok("cat /proc/meminfo"), re.M)[1]) * 1024
    for webspace in (MAL, VIC):
        limit = bed.ok(f"systemctl show --property=MemoryMax --value webspace-{webspace}.slice")
        assert limit.strip().isdigit(), limit
        assert abs(int(limit) - total // 4) <= 4096, (limit, total)
    assert bed.ok("systemctl show --property=MemoryMax --value webspace.slice") == "infinity\n"


@pytest.mark.parametrize("folder", ["/tmp", "/var/tmp", "/dev/shm"])
def test_a_site_s_code_fills_no_shared_memory(bed, folder):
    """A site's PHP and the programs it runs have /tmp, /var/tmp and /dev/shm of their own, of
    PHP_TMPFS_MIB each: code that fills one (files in memory, which no quota counts) stops
    there, and nothing of it lands in the host's."""
    fill = f"{folder}/fill"
    try:
        # In a subshell, so that its error, not the file, gets the output that bed.php reads.
        status, output = bed.php(f"(head -c {PHP_TMPFS_MIB + 16}M /dev/zero > {fill})")
        assert status != 0 and "No space left on device" in output, output
        status, size = bed.php(f"stat -c %s {fill}")
        assert status == 0 and int(size) <= PHP_TMPFS_MIB * 1024 * 1024, size
        assert bed.ok(f"find {folder} -name fill") == ""
    finally:
        bed.php(f"rm -f {fill}")
    assert bed.php("echo still here") == (0, "still here")


def test_a_member_reads_no_other_member_s_keys(bed):
    """A login's keys are readable by its webspace's logins only (sshd reads them as the user):
    their comments name people."""
    with victim_login(bed, chroot=True) as vera:
        bed.login(vera).close()
        status, output = bed.as_eve(f"cat /etc/ssh/webspace-keys/{vera}")
        assert status != 0 and "Permission denied" in output, output
        assert f"{vera}@laptop" not in output
        assert bed.as_eve(f"cat /etc/ssh/webspace-keys/{EVE}")[0] == 0


def test_a_member_sees_no_other_users_processes(bed):
    """ps and /proc show the attacker's SSH login and PHP only their own processes: a
    neighbour's command line may hold a password, and root's show what the host runs."""
    # The victim at work: a shell whose command line holds its password, and its PHP.
    bed.ok(f"setsid runuser -u {VIC} -- sh -c 'sleep 600 # {SECRET}' </dev/null >/dev/null 2>&1 &")
    try:
        assert bed.get(VICTIM_SITE, "/wp-config.php").status == 200
        victim = bed.ok(f"pgrep -u {VIC} -f {SECRET}").split()[0]
        seen_by_root = bed.ok("ps -eo user=,args=")
        assert SECRET in seen_by_root and f"pool {VIC}" in seen_by_root
        assert "nginx: master" in seen_by_root

        for attacker in (bed.as_eve, bed.php):
            status, listed = attacker("ps -eo user=,args=")
            assert status == 0, listed
            owners = {line.split()[0] for line in listed.splitlines()}
            assert owners == {MAL}, listed
            assert "ps -eo" in listed  # its own, as before
            assert SECRET not in listed and VIC not in listed and "nginx" not in listed
            for part in ("cmdline", "environ", "status"):
                status, output = attacker(f"cat /proc/{victim}/{part}")
                assert status != 0 and "No such file" in output, output
                assert SECRET not in output
        # Kept at boot: systemd-remount-fs applies fstab's options to /proc.
        assert "hidepid=invisible" in bed.ok("findmnt --fstab --noheadings -o OPTIONS /proc")
    finally:
        bed.sh(f"pkill -u {VIC} -f {SECRET}")


def test_a_fork_bomb_ends_at_the_webspace_s_process_limit(bed):
    """A webspace's uid may have MAX_PROCESSES processes at once, its PHP and its logins
    together: a fork bomb ends there, and the host and the neighbours go on."""
    for attacker in (bed.as_eve, bed.php):
        status, output = attacker("grep 'Max processes' /proc/self/limits")
        assert status == 0 and output.split()[2:4] == [str(MAX_PROCESSES)] * 2, output
    bed.write_as(MAL, f"{HTDOCS}/fork.php", FORK_PHP)
    try:
        response = bed.get(SITE, f"/fork.php?n={MAX_PROCESSES + 200}")
        assert response.status == 200, response
        # Its PHP workers count too, and so would another testbed's processes of the same uid.
        assert MAX_PROCESSES // 2 < int(response.body) < MAX_PROCESSES, response.body
    finally:
        bed.sh(f"pkill -u {MAL} -x sleep")
    assert bed.get(VICTIM_SITE, "/index.html").status == 200
    assert bed.php("echo still here") == (0, "still here")


def test_a_site_s_code_makes_no_namespaces(bed):
    """A site's PHP, the usual way into a shared host (a plugin with a hole), makes no
    namespaces: the kernel interface that local root exploits most often go through."""
    for kind in ("--user --map-root-user", "--mount", "--net", "--pid --fork"):
        status, output = bed.php(f"unshare {kind} true")
        assert status != 0 and "Operation not permitted" in output, (kind, output)
    assert bed.php("id -un") == (0, MAL)  # and the rest goes on


def test_a_site_s_code_gains_no_privileges(bed):
    """A set-user-ID program run by a site's PHP runs without its owner's rights: su, passwd or
    mount with a flaw would otherwise be a site's way to root. Here a root-owned copy of id,
    set-user-ID: in a login's shell it does run as root (so the program works), in PHP not."""
    program = "/usr/local/bin/panel-test-setuid-id"
    try:
        bed.ok(f"install -o root -g root -m 4755 /usr/bin/id {program}")
        status, output = bed.as_eve(program)
        assert status == 0 and "euid=0(root)" in output, output
        status, output = bed.php(program)
        assert status == 0 and output.startswith("uid=") and "euid" not in output, output
        assert bed.php("grep ^NoNewPrivs: /proc/self/status") == (0, "NoNewPrivs:\t1")
    finally:
        bed.ok(f"rm -f {program}")


def test_a_member_schedules_no_commands(bed):
    """A command scheduled with cron would run outside the webspace's PHP service, its process
    limit and its metering, and on while the webspace is suspended (the crontab of the webspace's
    own user, which PHP can write, is not locked out as its logins are): only root schedules."""
    entry = shlex.quote(f"* * * * * touch {MAL_HOME}/tmp/scheduled")
    for attacker in (bed.as_eve, bed.php):
        status, output = attacker(f"echo {entry} | crontab -")
        assert status != 0 and "not allowed" in output, output
    assert bed.ok("ls /var/spool/cron/crontabs") == ""
    assert bed.ok("cat /etc/cron.allow /etc/at.allow") == "root\nroot\n"


def test_a_member_cannot_take_a_service_s_port_while_it_restarts(bed):
    """While a database restarts (an upgrade), a member's program that bound its port would catch
    the passwords of the neighbours' sites: below FIRST_MEMBER_PORT the member binds nothing,
    and the services, which are no root, still bind theirs."""
    units = " ".join(PORT_SERVICES)
    setting = bed.ok("sysctl -n net.ipv4.ip_unprivileged_port_start")
    assert setting.strip() == str(FIRST_MEMBER_PORT)
    bed.ok(f"systemctl start {units}")  # as the database role starts them
    ports = listening_ports(bed)
    assert set(ports.values()) == set(PORT_SERVICES.values()), ports
    bed.ok(f"systemctl stop {units}")
    try:
        for attacker in (bed.as_eve, bed.php):
            # The metering agent's port (9835) too, though no agent runs here.
            for port in (*ports, 9835, FIRST_MEMBER_PORT - 1):
                status, output = attacker(f"python3 -c {shlex.quote(BIND_PY)} {port}")
                assert status != 0 and "Permission denied" in output, (port, output)
            # What a member may run for itself still binds above them.
            status, output = attacker(f"python3 -c {shlex.quote(BIND_PY)} {FIRST_MEMBER_PORT}")
            assert status == 0 and output.strip() == "bound", output
    finally:
        bed.ok(f"systemctl start {units}")
    assert listening_ports(bed) == ports


def listening_ports(bed: Bed) -> dict[int, str]:
    """The TCP ports the services of PORT_SERVICES listen on, with the name of each one's
    process."""
    found = {}
    for line in bed.ok("ss -Hltnp").splitlines():
        port = int(line.split()[3].rpartition(":")[2])
        names = [name for name in PORT_SERVICES.values() if f'(("{name}"' in line]
        if names:
            found[port] = names[0]
    return found


NEW_SITE_ATTACKS = [
    # (who plants the link, how, the domain, its document root, the link, where it points)
    ("eve", f"ln -s /etc {MAL_HOME}/domains/evil.test", "evil.test", "", "domains/evil.test"),
    ("sam", "/domains/etc-root", "etc.mallory.test", "domains/etc-root", "domains/etc-root"),
    (
        "php",
        f"ln -s {VICTIM_HTDOCS} {MAL_HOME}/domains/steal",
        "steal.mallory.test",
        "domains/steal",
        "domains/steal",
    ),
    (
        "eve",
        f"mkdir {MAL_HOME}/domains/deep && ln -s /root {MAL_HOME}/domains/deep/htdocs",
        "deep.mallory.test",
        "domains/deep/htdocs",
        "domains/deep/htdocs",
    ),
]


@pytest.mark.parametrize(
    ("who", "plant", "name", "document_root", "link"),
    NEW_SITE_ATTACKS,
    ids=[attack[2] for attack in NEW_SITE_ATTACKS],
)
def test_a_new_site_on_a_linked_document_root_fails_and_changes_nothing(
    bed, who, plant, name, document_root, link
):
    if who == "eve":
        assert bed.as_eve(plant)[0] == 0
    elif who == "sam":
        with bed.login(SAM) as client, client.open_sftp() as sftp:
            sftp.symlink("/etc", plant)
    else:
        assert bed.php(plant)[0] == 0
    target = bed.ok(f"readlink {MAL_HOME}/{link}").strip()
    before = bed.fingerprint()

    run = bed.play(
        "domain.yml", expect="failed", **domain(bed, MAL, name, domain_document_root=document_root)
    )
    root = document_root or f"domains/{name}/htdocs"
    [message] = failure_messages(run)
    assert message.startswith(
        f"The document root of {name}, {MAL_HOME}/{root}, cannot be used: "
        f"{MAL_HOME}/{link} is a symbolic link (to {target}). {LINK_REFUSED}"
    ), message
    assert bed.fingerprint() == before
    assert bed.sh(f"test -e /etc/nginx/sites-available/webspace-{name}.conf")[0] != 0


def test_a_document_root_turned_into_a_link_fails_the_next_renewal(bed):
    bed.acme.add_name(SECURE, bed.host.address)
    secure = domain(bed, MAL, SECURE, domain_tls=True)
    bed.play("domain.yml", **secure)
    assert bed.get(SECURE, https=True).status == 200

    # certbot (root) never writes through the member's .well-known: its webroot is root's.
    assert bed.as_eve(f"ln -s /etc {SECURE_HTDOCS}/.well-known")[0] == 0
    served = tls_certificate(bed.host.address, SECURE, bed.root_file)["serialNumber"]
    before = bed.fingerprint()
    run = bed.play("domain.yml", **secure, domain_renew_days=100000)
    assert custom_stats(run)["domain"]["tls_error"] == ""
    assert tls_certificate(bed.host.address, SECURE, bed.root_file)["serialNumber"] != served
    assert bed.fingerprint() == before

    # htdocs itself a link to /etc, left for the next renewal run.
    assert bed.as_eve(f"mv {SECURE_HTDOCS} {SECURE_HTDOCS}.moved")[0] == 0
    assert bed.as_eve(f"ln -s /etc {SECURE_HTDOCS}")[0] == 0
    assert_not_served(bed.get(SECURE, "/passwd", https=True), PASSWD_LINE)
    before = bed.fingerprint()
    run = bed.play("domain.yml", expect="failed", **secure, domain_renew_days=100000)
    assert failure_messages(run) == [
        f"The document root of {SECURE}, {SECURE_HTDOCS}, cannot be used: {SECURE_HTDOCS} is "
        f"a symbolic link (to /etc). {LINK_REFUSED}: make it a real folder (or remove the "
        "link) and run the job again."
    ]
    assert bed.fingerprint() == before
    assert_not_served(bed.get(SECURE, "/passwd", https=True), PASSWD_LINE)

    assert bed.as_eve(f"rm {SECURE_HTDOCS} && mv {SECURE_HTDOCS}.moved {SECURE_HTDOCS}")[0] == 0
    bed.play("domain.yml", **secure)
    bed.again_unchanged("domain.yml", **secure)
    assert bed.get(SECURE, https=True).status == 200


ROOTS_PLACES = [
    # (the place, what a job that meets a link there says)
    (f"{MAL_HOME}/domains", f"The folder domains of webspace {MAL}, {MAL_HOME}/domains,"),
    (f"{MAL_HOME}/logs", f"The folder logs of webspace {MAL}, {MAL_HOME}/logs,"),
    (f"/var/log/webspaces/{MAL}", f"The log folder of webspace {MAL}, /var/log/webspaces/{MAL},"),
]


def test_root_s_places_are_out_of_a_member_s_reach(bed):
    attempts = [
        f"mv {MAL_HOME}/domains {MAL_HOME}/domains.moved",
        f"ln -s /etc {MAL_HOME}/logs.link",
        f"ls /var/log/webspaces/{MAL}",
        f"ln -s /etc/shadow /var/log/webspaces/{MAL}/access.log.1",
        f"ln -s /etc /var/lib/webspaces/{MAL}/acme/{SITE}/.well-known",
        "ls /var/backups/webspaces",
        f"ln -s /etc/shadow /var/backups/webspaces/{MAL}.tar.gz",
    ]
    for command in attempts:
        status, output = bed.as_eve(command)
        assert status != 0 and "Permission denied" in output, (command, output)
        status, output = bed.php(command)
        assert status != 0 and "Permission denied" in output, (command, output)
    assert bed.ok(f"stat -c '%U %G %a' /var/log/webspaces/{MAL}").split() == ["root", "adm", "750"]
    assert "adm" not in bed.as_eve("id")[1]


@pytest.mark.parametrize(("place", "said"), ROOTS_PLACES, ids=["domains", "logs", "nginx-logs"])
def test_a_link_in_place_of_a_webspace_folder_fails_the_job(bed, place, said):
    # Planted by root here, as a stand-in for whatever could put it there (an old archive).
    bed.ok(f"mv {place} {place}.real && ln -s /etc {place}")
    before = bed.fingerprint()
    run = bed.play("webspace.yml", expect="failed", **webspace(MAL, "active"))
    # The first reason is the folder's (a loop's task then says that one of its items failed).
    assert failure_messages(run)[0] == (
        f"{said} cannot be used: {place} is a symbolic link (to /etc). {LINK_REFUSED}: make it "
        "a real folder (or remove the link) and run the job again."
    )
    assert bed.fingerprint() == before
    bed.ok(f"rm {place} && mv {place}.real {place}")
    bed.again_unchanged("webspace.yml", **webspace(MAL, "active"))


def test_a_link_in_the_acme_or_archive_folder_fails_the_job(bed):
    challenges = f"/var/lib/webspaces/{MAL}/acme/{SITE}/.well-known"
    bed.ok(f"rm -rf {challenges} && ln -s /etc {challenges}")
    before = bed.fingerprint()
    run = bed.play("domain.yml", expect="failed", **domain(bed, MAL, SITE))
    [message] = failure_messages(run)
    assert message.startswith(
        f"The ACME challenge folder of {SITE}, {challenges}/acme-challenge, cannot be used: "
        f"{challenges} is a symbolic link (to /etc)."
    ), message
    assert bed.fingerprint() == before
    bed.ok(f"rm {challenges}")
    bed.play("domain.yml", **domain(bed, MAL, SITE))

    archive = f"/var/backups/webspaces/{MAL}.tar.gz"
    bed.ok(f"ln -s /etc/shadow {archive}")
    before = bed.fingerprint()
    run = bed.play("webspace.yml", expect="failed", **webspace(MAL, "active"))
    [message] = failure_messages(run)
    assert message.startswith(
        f"The archive of webspace {MAL}, {archive}, cannot be used: {archive} is a symbolic link "
        "(to /etc/shadow)."
    ), message
    assert bed.fingerprint() == before
    bed.ok(f"rm {archive}")


def test_logrotate_rotates_root_s_logs_only(bed):
    config = bed.ok("cat /etc/logrotate.d/webspaces")
    patterns = [line for line in config.splitlines() if line.endswith("{")]
    assert patterns == ["/var/log/webspaces/*/access.log /var/log/webspaces/*/error.log {"]
    options = [line.split() for line in config.splitlines() if line.startswith("\t")]
    assert ["create", "0640", "www-data", "adm"] in options
    # No rotation as another user, no folder elsewhere, no copy read through a link as root.
    for unsafe in ("su", "olddir", "copy", "copytruncate"):
        assert unsafe not in [option[0] for option in options], options
    # Its folders are root's alone (logrotate itself refuses group- or world-writable ones).
    folders = bed.ok("stat -c '%U %G %a' /var/log/webspaces/*/ | sort -u")
    assert folders == "root adm 750\n"

    before = bed.fingerprint()
    assert bed.get(SITE).status == 200  # something to rotate
    bed.ok("logrotate --force /etc/logrotate.d/webspaces")
    assert bed.fingerprint() == before
    logs = f"/var/log/webspaces/{MAL}"
    assert bed.ok(f"stat -c '%U %G %a' {logs}/access.log {logs}/access.log.1 | head -1") == (
        "www-data adm 640\n"
    )


def upload_tree() -> bytes:
    """A tree as `tar -c` of a fresh folder with the default umask (022) packs it."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        for name in ("shared/eve", "shared/eve/cache"):
            entry = tarfile.TarInfo(name)
            entry.type, entry.mode = tarfile.DIRTYPE, 0o755
            archive.addfile(entry)
        content = b"uploaded by eve\n"
        entry = tarfile.TarInfo("shared/eve/app.txt")
        entry.mode, entry.size = 0o644, len(content)
        archive.addfile(entry, io.BytesIO(content))
    return data.getvalue()


def test_the_logins_share_the_webspace_s_files_with_its_php(bed):
    status, output = bed.as_eve(f"cd {HTDOCS} && umask && tar -x", upload_tree())
    assert (status, output) == (0, "0022\n")
    with bed.login(SAM) as client, client.open_sftp() as sftp:
        sftp.mkdir(f"{JAILED_HTDOCS}/shared/sam")
        with sftp.open(f"{JAILED_HTDOCS}/shared/sam/app.txt", "w") as upload:
            upload.write("uploaded by sam\n")
    bed.write_as(MAL, f"{HTDOCS}/write.php", WRITE_PHP)

    # The site's PHP writes into each uploaded folder and changes each uploaded file.
    for name in ("eve/cache/new.txt", "eve/app.txt", "sam/new.txt", "sam/app.txt"):
        response = bed.get(SITE, f"/write.php?f=shared/{name}")
        assert (response.status, response.body) == (200, "ok"), name
    # Each login changes what the other uploaded.
    with (
        bed.login(SAM) as client,
        client.open_sftp() as sftp,
        sftp.open(f"{JAILED_HTDOCS}/shared/eve/app.txt", "a") as upload,
    ):
        upload.write("changed by sam\n")
    assert bed.as_eve(f"echo changed by eve >> {HTDOCS}/shared/sam/app.txt")[0] == 0
    assert bed.ok(f"cat {HTDOCS}/shared/eve/app.txt") == "uploaded by eve\nphp\nchanged by sam\n"
    assert bed.ok(f"cat {HTDOCS}/shared/sam/app.txt") == "uploaded by sam\nphp\nchanged by eve\n"

    # One uid for the webspace user, its logins and so its PHP: the quota on it counts every
    # file in the home, whoever wrote it (enforced where the filesystem has quotas).
    uid = bed.ok(f"id -u {MAL}").strip()
    assert {bed.ok(f"id -u {name}").strip() for name in (EVE, SAM)} == {uid}
    assert bed.ok(f"find {MAL_HOME} -mindepth 1 ! -uid {uid}") == ""
    assert bed.ok(f"find {HTDOCS}/shared -printf '%u\\n' | sort -u") == f"{MAL}\n"
    run = bed.play("webspace.yml", **webspace(MAL, "active"))
    assert custom_stats(run)["webspace"]["quota_enforced"] is False  # no quotas in the testbed
    assert '"soft_mib": 100' in bed.ok(f"cat /etc/webspaces/{MAL}.quota")


def session(bed: Bed, user: str) -> tuple[paramiko.SSHClient, paramiko.Channel]:
    """A login of USER with a command running in it, as a member keeps a shell open."""
    client = bed.login(user)
    channel = client.get_transport().open_session()
    channel.exec_command("sleep 600")
    return client, channel


def ended(client: paramiko.SSHClient) -> bool:
    return not client.get_transport().is_active()


def test_removing_a_login_ends_only_its_sessions(bed):
    tom = "mal00-tom"
    bed.play("sftp-user.yml", **login_vars(bed, tom, chroot=False))
    php = "systemctl show --property=MainPID --value webspace-php@mal00.service"
    master = bed.ok(php)
    assert bed.php("echo running") == (0, "running")
    tom_client, _ = session(bed, tom)
    eve_client, _ = session(bed, EVE)
    with tom_client, eve_client:
        bed.play("sftp-user.yml", **login_vars(bed, tom, chroot=False, sftp_user_state="absent"))
        poll(lambda: ended(tom_client), 20, "the removed login's session goes on")
        assert not ended(eve_client)
        assert ssh_run(eve_client, "echo still here") == (0, "still here\n")
    # The webspace's PHP ran on, its home and files stayed.
    assert bed.ok(php) == master
    assert bed.php("echo running") == (0, "running")
    assert bed.ok(f"cat {HTDOCS}/shared/eve/app.txt").startswith("uploaded by eve\n")
    with pytest.raises(paramiko.AuthenticationException):
        bed.login(tom)
    assert bed.sh(f"getent passwd {tom}")[0] != 0
    assert bed.sh(f"test -e /etc/ssh/webspace-keys/{tom}")[0] != 0


def beating(bed: Bed) -> bool:
    """Whether HOP_BEAT's time changes within a second (a hop chain touches it as it goes)."""
    # Read as the member: root follows no path in a webspace, in tests either.
    beat = f"setpriv --reuid={MAL} --regid={MAL} --clear-groups date -r {HOP_BEAT} +%s%N"
    before = bed.ok(beat)
    time.sleep(1)  # the interval the beat is measured over, not a wait for a state
    return bed.ok(beat) != before


def test_logins_of_a_suspended_webspace_are_refused_until_it_is_active(bed):
    ivy = "mal00-ivy"
    client, _ = session(bed, EVE)
    # Two chains that ignore SIGTERM and fork on, each process exiting once it has forked, as
    # code that would outrun a kill by list: none may run while the webspace is suspended.
    bed.write_as(MAL, f"{MAL_HOME}/tmp/hop.py", HOP_PY)
    bed.write_as(MAL, HOP_BEAT, "")
    for _ in range(2):
        status, output = bed.as_eve(
            f"setsid python3 {MAL_HOME}/tmp/hop.py 120 {HOP_BEAT} </dev/null >/dev/null 2>&1 &"
        )
        assert status == 0, output
    assert beating(bed), "no chain runs"
    with client:
        bed.play("webspace.yml", **webspace(MAL, "suspended"))
        poll(lambda: ended(client), 20, "a session open at the suspension goes on")
    assert not beating(bed), "a chain runs on while the webspace is suspended"
    status, left = bed.sh(f"pgrep --list-full -u {MAL}")
    assert status == 1, f"still running while suspended:\n{left}"
    for user in (EVE, SAM):
        with pytest.raises(paramiko.AuthenticationException):
            bed.login(user)
    # A login added meanwhile, and a change queued before the suspension, stay out too.
    bed.play("sftp-user.yml", **login_vars(bed, ivy, chroot=True, webspace_state="suspended"))
    bed.play("sftp-user.yml", **login_vars(bed, EVE, chroot=False, webspace_state="active"))
    for user in (EVE, ivy):
        with pytest.raises(paramiko.AuthenticationException):
            bed.login(user)
    bed.again_unchanged("webspace.yml", **webspace(MAL, "suspended"))

    bed.play("webspace.yml", **webspace(MAL, "active"))
    for user in (EVE, SAM, ivy):
        bed.login(user).close()
    assert bed.as_eve("echo back") == (0, "back\n")
    bed.again_unchanged("webspace.yml", **webspace(MAL, "active"))


def planted_links(bed: Bed) -> str:
    return bed.ok(f"find {MAL_HOME} -type l -printf '%P -> %l\\n' | sort")


def test_archive_and_restore_keep_planted_links_as_links(bed):
    plant = (
        f"cd {HTDOCS} && ln -s /etc abs-etc && ln -s ../../../../../etc up-etc"
        f" && ln -s {VIC_HOME} victim-home && ln -s {VICTIM_CONFIG} victim-config.txt"
        " && mkfifo pipe"
    )
    assert bed.as_eve(plant)[0] == 0
    links = planted_links(bed)
    for line in ("abs-etc -> /etc", "up-etc -> ../../../../../etc", f"victim-home -> {VIC_HOME}"):
        assert f"domains/{SITE}/htdocs/{line}" in links
    assert "domains/evil.test -> /etc" in links
    twins = f"stat -c '%i %h' {HTDOCS}/index.html {HTDOCS}/index-twice.html"
    inodes = bed.ok(twins).splitlines()
    assert inodes[0] == inodes[1] and inodes[0].endswith(" 2")
    before = bed.fingerprint()

    bed.play("webspace.yml", **webspace(MAL, "archived"))
    assert bed.fingerprint(accounts=False) == {
        path: line.rsplit("|", 1)[0] if path in ACCOUNTS else line for path, line in before.items()
    }
    assert bed.sh(f"test -e {MAL_HOME}")[0] != 0
    with pytest.raises(paramiko.AuthenticationException):
        bed.login(EVE)

    bed.play("webspace.yml", **webspace(MAL, "active"))
    assert bed.fingerprint() == before
    assert planted_links(bed) == links
    restored = bed.ok(twins).splitlines()
    assert restored[0] == restored[1] and restored[0].endswith(" 2")
    assert bed.ok(f"test -p {HTDOCS}/pipe && stat -c %U {HTDOCS}/pipe") == f"{MAL}\n"
    assert bed.ok(f"stat -c '%U %G %a' {MAL_HOME}").split() == ["root", MAL, "750"]
    assert bed.get(SITE, "/own.html").status == 200
    assert_not_served(bed.get(SITE, "/abs-etc/passwd"), PASSWD_LINE)
    assert bed.as_eve("echo back") == (0, "back\n")
    bed.again_unchanged("webspace.yml", **webspace(MAL, "active"))


def test_purge_follows_no_link_and_removes_the_logins(bed):
    plant = f"ln -s /etc /tmp/etc && ln -s {VIC_HOME} /var/tmp/victim && ln -s /root /dev/shm/root"
    assert bed.as_eve(plant) == (0, "")
    before = bed.fingerprint(accounts=False)
    bed.play("webspace.yml", **webspace(MAL, "archived"))
    bed.play("webspace.yml", **webspace(MAL, "purged"))
    after = bed.fingerprint(accounts=False)
    # The attacker's own log folder goes with the webspace; everything watched else stays.
    for found in (before, after):
        del found["/var/log/webspaces"]
    assert after == before
    assert bed.ok(f"stat -c '%U %G %a' /var/log/webspaces/{VIC}") == "root adm 750\n"
    assert bed.ok(f"getent passwd | grep '^{MAL}' || true") == ""
    assert bed.ok(f"ls /etc/ssh/webspace-keys | grep '^{MAL}' || true") == ""
    for parent in LOGIN_TMP.values():
        assert bed.ok(f"find {parent} -mindepth 1 -maxdepth 1 -name '{MAL}-*'") == "", parent
    assert bed.sh(f"test -e {MAL_HOME}")[0] != 0
    assert SECRET in bed.ok(f"cat {VICTIM_CONFIG}")
    bed.again_unchanged("webspace.yml", **webspace(MAL, "purged"))
