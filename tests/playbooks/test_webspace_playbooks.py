"""webspace.yml and domain.yml against one real testbed host, with certificates from Pebble: two
webspaces with a site each, PHP as the webspace user in the webspace's own PHP-FPM and systemd
slice (its CPU counted there), isolation between them, TLS with a real HTTP-01 validation and
renewal, a failed issuance, suspend, archive, restore and purge, a host that still has a pool in
Debian's shared PHP-FPM, and a second run of each state that changes nothing. The tests run in
file order on shared state."""

import base64
import datetime
import io
import re
import shlex
import ssl
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hosts_support import (
    AcmeServer,
    acme_server,
    custom_stats,
    describe,
    failure_messages,
    http_get,
    http_post,
    on_host,
    on_host_given,
    poll,
    run_playbook,
    served_repository,
    testbed_hosts,
    tls_certificate,
)

from panel_testbed import mirror
from panel_testbed import state as saved

pytestmark = pytest.mark.testbed

A, B = "abc00", "abd00"
SITE_A, ALIAS_A, SITE_B = "site-a.test", "www.site-a.test", "site-b.test"
NOWHERE = "nowhere.test"  # no address: its issuance must fail
HOME = "/home/webspaces"
PAGE_A = "<h1>site A of abc00</h1>\n"
PAGE_B = "<h1>secret of abd00</h1>\n"
WHOAMI = "<?php echo posix_getpwuid(posix_geteuid())['name'];\n"
PEEK = (
    f"<?php $text = @file_get_contents('{HOME}/{B}/domains/{SITE_B}/htdocs/index.html');\n"
    "echo $text === false ? 'denied' : 'read: ' . $text;\n"
)
# Spins until this PHP process has used BURN_SECONDS of CPU, and says how much it used.
BURN_SECONDS = 0.3
BURN = (
    "<?php function cpu() { $r = getrusage();\n"
    "  return $r['ru_utime.tv_sec'] + $r['ru_utime.tv_usec'] / 1e6\n"
    "    + $r['ru_stime.tv_sec'] + $r['ru_stime.tv_usec'] / 1e6; }\n"
    f"$start = cpu(); while (cpu() - $start < {BURN_SECONDS}) {{}}\n"
    "printf('%.3f', cpu() - $start);\n"
)
SUSPENDED_TEXT = ("Dieser Webspace ist gesperrt", "This webspace is suspended")
APP = "app-a.test"
FRONT_CONTROLLER = "<?php echo 'routed ' . $_SERVER['REQUEST_URI'];\n"
# Nextcloud's and Drupal's addresses name their script and a path beyond it (PATH_INFO).
PATH_INFO_PHP = "<?php echo $_SERVER['SCRIPT_NAME'], ' ', $_SERVER['PATH_INFO'];\n"
# An upload that holds PHP code under another name: no address makes PHP run it.
DISGUISED_PHP = "<?php echo 'ran ' . 'disguised';\n"
ROUTED = "/2026/12/hello-world/?replytocom=7"
# Long response headers, as applications send them (cookies of a shop's session and consent,
# a Content-Security-Policy): 12 KiB, three times nginx's default buffer for them.
LONG_HEADERS_PHP = """<?php
foreach (range(1, 4) as $n) { setcookie("c$n", str_repeat('x', 3000)); }
header('Content-Security-Policy: ' . str_repeat("script-src 'self'; ", 40));
echo 'long headers';
"""
SESSION_PHP = "<?php ini_set('session.gc_divisor', '1'); session_start(); echo 'started';\n"
# Answers only after the seconds it is given, as an installer creating its tables or an import
# does (PHP's own time limit counts the CPU a request uses, not its waiting).
SLOW_PHP = "<?php sleep((int) $_GET['s']); echo 'answered after ', $_GET['s'], ' s';\n"
SLOW_SECONDS = 75  # beyond the 60 s nginx waits for PHP by default
# What the common applications ask of PHP besides a database driver (WordPress' site health,
# Nextcloud's and Joomla's installers and what they recommend): each module used once, in the
# webspace's sandbox.
MODULES_PHP = """<?php
ob_start(); imagepng(imagecreatetruecolor(4, 4)); $png = ob_get_clean();
echo 'gd ', substr($png, 1, 3), "\\n";
echo 'mbstring ', mb_strlen('Grüße'), "\\n";
echo 'intl ', (new NumberFormatter('de_DE', NumberFormatter::DECIMAL))->format(1234.5), "\\n";
$dom = new DOMDocument(); $dom->loadXML('<a><b>dom</b></a>');
echo 'xml ', $dom->getElementsByTagName('b')->item(0)->textContent, ' ',
    simplexml_load_string('<a>simplexml</a>'), "\\n";
$path = sys_get_temp_dir() . '/modules.zip';
$zip = new ZipArchive(); $zip->open($path, ZipArchive::CREATE | ZipArchive::OVERWRITE);
$zip->addFromString('a.txt', 'zipped'); $zip->close();
$zip->open($path); echo 'zip ', $zip->getFromName('a.txt'), "\\n"; $zip->close(); unlink($path);
$curl = curl_init('http://127.0.0.1/index.html');
curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_HTTPHEADER => ['Host: {site}']]);
echo 'curl ', curl_exec($curl);
echo 'bcmath ', bcadd('0.1', '0.2', 1), "\\n";
echo 'gmp ', gmp_strval(gmp_pow(2, 70)), "\\n";
$image = new Imagick(); $image->newImage(4, 4, 'white', 'png');
echo 'imagick ', substr($image->getImageBlob(), 1, 3), "\\n";
echo 'apcu ', apcu_enabled() ? 'on' : 'off', "\\n";
$path = sys_get_temp_dir() . '/modules.sqlite';
$pdo = new PDO("sqlite:$path");
$pdo->exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('stored')");
echo 'sqlite ', $pdo->query('SELECT v FROM t')->fetchColumn(), ' ',
    (new SQLite3(':memory:'))->querySingle('SELECT 6 * 7'), "\\n"; unlink($path);
"""
MODULES_ANSWER = (
    "gd PNG\nmbstring 5\nintl 1.234,5\nxml dom simplexml\nzip zipped\n"
    f"curl {PAGE_A}bcmath 0.3\ngmp 1180591620717411303424\nimagick PNG\napcu on\n"
    "sqlite stored 42\n"
)
# APCu, the memory cache: what one webspace's PHP keeps there, another's must not read.
CACHE_STORE = "<?php apcu_store('note', 'secret of abc00'); echo 'stored';\n"
CACHE_FETCH = "<?php $note = apcu_fetch('note', $found); echo $found ? 'read: ' . $note : 'none';\n"
CACHE_CLI = "apcu_store('k', 'cached'); echo apcu_fetch('k');"
# The two modules that joined webspace_packages last: APCu and SQLite's PDO driver.
MODULES_NEW = ("apcu", "sqlite3")
MODULE_LOADED = (
    "<?php echo extension_loaded('apcu') && extension_loaded('pdo_sqlite') ? 'loaded' : 'missing';"
)
HOST_STAMP = "/etc/webspaces/host-setup"
PAM_SESSION = "/etc/pam.d/common-session"
PHP_UNIT_FILE = "/etc/systemd/system/webspace-php@.service"
# Debian's apt sources, put aside while the host takes its packages from the testbed's repository.
APT_KEPT = "/root/apt-sources-kept"
# WordPress and its default theme as Debian packs them (`make test-packages` downloads them), and
# the configuration a member writes for the database the panel made.
APPS = Path(__file__).resolve().parents[2] / ".apps"
WORDPRESS_PACKAGES = ("wordpress", "wordpress-theme-twentytwentythree")
BLOG = "blog-a.test"
BLOG_TITLE = "Genossenschaftsblog"
BLOG_PASSWORD = "Sehr-geheim-4711!"
WORDPRESS_CONFIG = """<?php
define('DB_NAME', '{database}'); define('DB_USER', '{database}');
define('DB_PASSWORD', '{password}'); define('DB_HOST', 'localhost');
define('DB_CHARSET', 'utf8mb4'); define('DB_COLLATE', '');
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT',
          'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as $key) {{
    define($key, hash('sha256', $key . '{password}'));
}}
$table_prefix = 'wp_';
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
"""
PERMALINKS = (
    "UPDATE wp_options SET option_value = '/%year%/%monthnum%/%postname%/' "
    "WHERE option_name = 'permalink_structure'"
)
# What an application does first with the database the panel made: connect as the panel says
# (server "localhost"), through each of PHP's usual drivers, and keep a row.
DATABASE_PHP = """<?php
$options = [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION];
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$mysqli = new mysqli('localhost', '{maria}', '{maria_password}', '{maria}');
$mysqli->query('CREATE TABLE notes (note VARCHAR(20))');
$mysqli->query("INSERT INTO notes VALUES ('by mysqli')");
$mysql = new PDO('mysql:host=localhost;dbname={maria}', '{maria}', '{maria_password}', $options);
echo $mysql->query('SELECT note FROM notes')->fetchColumn(), "\\n";
$pg = new PDO(
    'pgsql:host=localhost;port={port};dbname={pg}', '{pg}', '{pg_password}', $options
);
$pg->exec('CREATE TABLE notes (note VARCHAR(20))');
$pg->exec("INSERT INTO notes VALUES ('by pdo_pgsql')");
echo $pg->query('SELECT note FROM notes')->fetchColumn(), "\\n";
"""


@pytest.fixture(autouse=True)
def transaction():
    """These tests use no database of the test run: the shared rolled-back session stays out."""
    yield None


@dataclass
class Bed:
    state: saved.State
    acme: AcmeServer
    folder: Path

    @property
    def host(self) -> saved.Host:
        return self.state.hosts[0]

    @property
    def address(self) -> str:
        return self.host.address

    def play(self, playbook: str, expect: str = "successful", **extravars):
        """Run PLAYBOOK with EXTRAVARS; print its duration for the report."""
        started = time.monotonic()
        runner = run_playbook(self.state, playbook, self.host.name, extravars)
        seconds = time.monotonic() - started
        label = " ".join(f"{value}" for key, value in extravars.items() if key.endswith("state"))
        print(
            f"{playbook} {extravars.get('domain_name', extravars.get('webspace_name'))} "
            f"{label}: {runner.status}, changed={self.changed(runner)}, {seconds:.1f} s"
        )
        assert runner.status == expect, describe(runner)
        return runner

    def changed(self, runner) -> int:
        return runner.stats["changed"].get(self.host.name, 0) if runner.stats else -1

    def again_unchanged(self, playbook: str, expect: str = "successful", **extravars) -> None:
        runner = self.play(playbook, expect, **extravars)
        assert self.changed(runner) == 0, describe(runner)

    def sh(self, command: str) -> tuple[int, str]:
        return on_host(self.state, self.host.name, command)

    def ok(self, command: str) -> str:
        status, output = self.sh(command)
        assert status == 0, f"{command}: exit {status}\n{output}"
        return output

    def write_as(self, user: str, path: str, content: str) -> None:
        """PATH on the host with CONTENT, written by USER (as an upload by the member would)."""
        encoded = base64.b64encode(content.encode()).decode()
        self.ok(f"echo {encoded} | base64 -d | runuser -u {user} -- tee {path} >/dev/null")

    def get(self, name: str, path: str = "/", https: bool = False):
        return http_get(self.address, name, path, https=https, ca_file=self.root_file)

    def get_slowly(self, name: str, path: str, seconds: float):
        """GET over HTTP, waiting up to SECONDS for the answer."""
        return http_get(self.address, name, path, timeout=seconds)

    def get_with(self, name: str, path: str, headers: dict[str, str]):
        return http_get(self.address, name, path, headers=headers)

    @property
    def root_file(self) -> Path:
        """Pebble's root of the issued certificates (fetched once: Pebble keeps it per run)."""
        path = self.folder / "issued-root.pem"
        if not path.exists():
            path.write_text(self.acme.issued_root_pem())
        return path


@pytest.fixture(scope="module")
def bed(tmp_path_factory) -> Iterator[Bed]:
    started = time.monotonic()
    with testbed_hosts(1) as state, acme_server() as acme:
        print(f"testbed and Pebble up: {time.monotonic() - started:.1f} s")
        yield Bed(state, acme, tmp_path_factory.mktemp("webspaces"))


def webspace(name: str, state: str) -> dict:
    return {
        "webspace_name": name,
        "webspace_state": state,
        "webspace_quota_soft_mib": 1024,
        "webspace_quota_hard_mib": 1280,
        "webspace_archive_days": 30,
    }


def domain(bed: Bed, owner: str, name: str, tls: bool = False, **more) -> dict:
    return {
        "webspace_name": owner,
        "webspace_state": "active",
        "domain_name": name,
        "domain_state": "active",
        "domain_aliases": [],
        "domain_redirect": "",
        "domain_tls": tls,
        "acme_directory_url": bed.acme.directory_url,
        "acme_email": "hostmaster@example.org",
        "acme_ca_cert": bed.acme.ca_cert_pem,
        **more,
    }


def htdocs(owner: str, name: str) -> str:
    return f"{HOME}/{owner}/domains/{name}/htdocs"


def php_unit(name: str) -> str:
    return f"webspace-php@{name}.service"


def php_cgroup(name: str) -> str:
    """Where systemd runs the webspace's PHP-FPM: its own slice, inside webspace.slice."""
    return f"/webspace.slice/webspace-{name}.slice/{php_unit(name)}"


def unit_states(bed: Bed, unit: str) -> tuple[str, str]:
    """What systemctl is-active and is-enabled answer for UNIT."""
    active = bed.sh(f"systemctl is-active {unit}")[1].strip()
    enabled = bed.sh(f"systemctl is-enabled {unit}")[1].strip()
    return active, enabled


def php_worker_cgroups(bed: Bed, name: str) -> list[str]:
    """The unified-hierarchy cgroup (/proc/PID/cgroup, line 0::) of each PHP-FPM worker running
    as the webspace user."""
    pids = bed.ok(f"pgrep --uid {name} php-fpm || true").split()
    lines = [bed.ok(f"cat /proc/{pid}/cgroup") for pid in pids]
    return [re.search(r"^0::(\S+)$", text, re.M).group(1) for text in lines]


def slice_cpu_usec(bed: Bed, name: str) -> int:
    """usage_usec of the webspace's slice, as the metering agent reads it. The unified hierarchy
    is /sys/fs/cgroup where systemd runs cgroup v2 alone, /sys/fs/cgroup/unified where it runs
    hybrid (a testbed on a machine that does)."""
    output = bed.ok(
        "root=/sys/fs/cgroup; [ -e $root/cgroup.controllers ] || root=$root/unified; "
        f"cat $root/webspace.slice/webspace-{name}.slice/cpu.stat"
    )
    return int(re.search(r"^usage_usec (\d+)$", output, re.M).group(1))


def test_active_webspaces_serve_their_sites_as_their_users(bed):
    run = bed.play("webspace.yml", **webspace(A, "active"))
    stats = custom_stats(run)["webspace"]
    assert stats["name"] == A
    assert stats["home"] == f"{HOME}/{A}"
    assert stats["quota_enforced"] is False  # the testbed's overlay has no quotas
    assert stats["uid"] == int(bed.ok(f"id -u {A}"))
    bed.play("webspace.yml", **webspace(B, "active"))
    bed.play("domain.yml", **domain(bed, A, SITE_A, domain_aliases=[ALIAS_A]))
    bed.play("domain.yml", **domain(bed, B, SITE_B))
    # A new site shows a placeholder until its owner uploads a page.
    placeholder = bed.get(SITE_B)
    assert placeholder.status == 200 and SITE_B in placeholder.body
    # A name without a site gets nothing, not Debian's welcome page.
    assert bed.get("no-site.test").status == 404

    bed.write_as(A, f"{htdocs(A, SITE_A)}/index.html", PAGE_A)
    bed.write_as(A, f"{htdocs(A, SITE_A)}/whoami.php", WHOAMI)
    bed.write_as(A, f"{htdocs(A, SITE_A)}/peek.php", PEEK)
    bed.write_as(B, f"{htdocs(B, SITE_B)}/index.html", PAGE_B)

    for name in (SITE_A, ALIAS_A):
        response = bed.get(name)
        assert (response.status, response.body) == (200, PAGE_A)
    assert bed.get(SITE_B).body == PAGE_B
    assert bed.get(SITE_A, "/whoami.php").body == A
    assert bed.get(SITE_A, "/peek.php").body == "denied"
    # Unix permissions keep them apart, not only PHP's open_basedir.
    status, _ = bed.sh(f"runuser -u {A} -- cat {htdocs(B, SITE_B)}/index.html")
    assert status != 0
    status, _ = bed.sh(f"runuser -u {A} -- ls {HOME}/{B}")
    assert status != 0

    layout = bed.ok(
        f"stat -c '%n %U %G %a' {HOME}/{A} {HOME}/{A}/domains {HOME}/{A}/logs {HOME}/{A}/tmp "
        f"/run/php/webspace-{A}.sock; getent passwd {A} | cut -d: -f6,7; "
        f"cat /etc/webspaces/{A}.quota"
    )
    assert f"{HOME}/{A} root {A} 750" in layout
    for folder in ("domains", "logs", "tmp"):
        assert f"{HOME}/{A}/{folder} {A} {A} 2770" in layout
    assert f"/run/php/webspace-{A}.sock www-data www-data 600" in layout
    assert f"{HOME}/{A}:/bin/bash" in layout
    assert '"hard_mib": 1280' in layout
    access_log = bed.ok(f"cat /var/log/webspaces/{A}/access.log")
    assert re.search(
        rf'^{re.escape(SITE_A)} \S+ \[\S+\] "GET /whoami.php HTTP/1.1" 200 ', access_log, re.M
    )

    bed.again_unchanged("webspace.yml", **webspace(A, "active"))
    bed.again_unchanged("domain.yml", **domain(bed, A, SITE_A, domain_aliases=[ALIAS_A]))


def test_php_of_a_webspace_runs_and_is_metered_in_its_slice(bed):
    for name in (A, B):
        assert unit_states(bed, php_unit(name)) == ("active", "enabled")
        control_group = bed.ok(f"systemctl show --property=ControlGroup --value {php_unit(name)}")
        assert control_group.strip() == php_cgroup(name)
    # Debian's shared PHP-FPM runs no webspace's pool.
    assert bed.ok("ls /etc/php/*/fpm/pool.d/ | grep webspace- || true") == ""

    bed.write_as(A, f"{htdocs(A, SITE_A)}/burn.php", BURN)
    before = {name: slice_cpu_usec(bed, name) for name in (A, B)}
    response = bed.get(SITE_A, "/burn.php")
    assert response.status == 200
    assert float(response.body) >= BURN_SECONDS
    used = {name: slice_cpu_usec(bed, name) - before[name] for name in (A, B)}
    # The page's CPU counts for A's slice (getrusage and the cgroup agree to rounding), none of
    # it for B's, whose idle master only wakes to report its status to systemd.
    assert used[A] >= 0.9 * BURN_SECONDS * 1_000_000, used
    assert used[B] < 0.1 * BURN_SECONDS * 1_000_000, used
    # The worker that answered (ondemand: it waits idle for a while) runs there too.
    workers = php_worker_cgroups(bed, A)
    assert workers and set(workers) == {php_cgroup(A)}


def test_a_webspaces_php_removes_its_expired_sessions(bed):
    """Sessions live in the webspace's tmp, where Debian's cron job never looks: PHP's own
    collection removes the expired ones (made certain here by a divisor of 1) and keeps the
    fresh ones."""
    tmp = f"{HOME}/{A}/tmp"
    bed.ok(f"runuser -u {A} -- touch -d '-2 hours' {tmp}/sess_expired")
    bed.ok(f"runuser -u {A} -- touch {tmp}/sess_fresh")
    bed.write_as(A, f"{htdocs(A, SITE_A)}/session.php", SESSION_PHP)
    response = bed.get(SITE_A, "/session.php")
    left = bed.ok(f"ls {tmp}").split()
    bed.ok(f"rm -f {htdocs(A, SITE_A)}/session.php {tmp}/sess_*")
    assert (response.status, response.body) == (200, "started")
    assert "sess_expired" not in left and "sess_fresh" in left, left


def test_an_application_gets_the_addresses_that_name_no_file(bed):
    """A front controller (WordPress' permalinks, Laravel, Symfony) answers each address that
    names no file; files are served as they are; a site without index.php finds nothing there."""
    bed.play("domain.yml", **domain(bed, A, APP))
    bed.write_as(A, f"{htdocs(A, APP)}/index.php", FRONT_CONTROLLER)
    bed.write_as(A, f"{htdocs(A, APP)}/style.css", "body {}\n")
    routed = bed.get(APP, ROUTED)
    assert (routed.status, routed.body) == (200, f"routed {ROUTED}")
    assert bed.get(APP, "/").body == "routed /"
    assert bed.get(APP, "/style.css").body == "body {}\n"
    assert bed.get(SITE_B, "/no/such/page").status == 404
    bed.write_as(A, f"{htdocs(A, APP)}/remote.php", PATH_INFO_PHP)
    beyond = bed.get(APP, "/remote.php/dav/files/alice")
    assert (beyond.status, beyond.body) == (200, "/remote.php /dav/files/alice")
    bed.write_as(A, f"{htdocs(A, APP)}/avatar.jpg", DISGUISED_PHP)
    for disguised in ("/avatar.jpg/x.php", "/avatar.jpg/.php", "/avatar.jpg%00.php"):
        answer = bed.get(APP, disguised)
        assert answer.status in (400, 403, 404), (disguised, answer.status)
        assert "ran disguised" not in answer.body, disguised
    assert bed.get(SITE_B, "/missing.php").status == 404
    # Hidden files hold an application's secrets and history; /.well-known/ is public.
    bed.write_as(A, f"{htdocs(A, APP)}/.env", "DB_PASSWORD=secret\n")
    bed.ok(f"runuser -u {A} -- mkdir -p {htdocs(A, APP)}/.git {htdocs(A, APP)}/.well-known")
    bed.write_as(A, f"{htdocs(A, APP)}/.git/config", "[core]\n")
    bed.write_as(A, f"{htdocs(A, APP)}/.well-known/security.txt", "Contact: x\n")
    for hidden in ("/.env", "/.git/config", "/.git/", "/sub/.env"):
        answer = bed.get(APP, hidden)
        assert answer.status == 403 and "secret" not in answer.body, hidden
    assert bed.get(APP, "/.well-known/security.txt").body == "Contact: x\n"
    bed.write_as(A, f"{htdocs(A, APP)}/headers.php", LONG_HEADERS_PHP)
    answer = bed.get(APP, "/headers.php")
    assert (answer.status, answer.body) == (200, "long headers"), answer
    assert len(answer.headers.get_all("Set-Cookie")) == 4
    bed.play("domain.yml", **domain(bed, A, APP, domain_state="absent"))
    assert bed.get(APP).status == 404


def test_a_slow_request_gets_its_answer_and_a_runaway_one_ends(bed):
    """An installer or an import may work for minutes before it answers: nginx waits for it
    (by default it would answer 504 after 60 s and leave the installation half done). PHP-FPM
    ends a request that runs longer than the webspace's limit, so that none holds a worker for
    ever."""
    bed.play("domain.yml", **domain(bed, A, APP))
    bed.write_as(A, f"{htdocs(A, APP)}/slow.php", SLOW_PHP)
    try:
        answer = bed.get_slowly(APP, f"/slow.php?s={SLOW_SECONDS}", SLOW_SECONDS + 30)
        assert (answer.status, answer.body) == (200, f"answered after {SLOW_SECONDS} s"), answer
        bed.play("webspace.yml", **webspace(A, "active"), webspace_php_request_seconds=3)
        started = time.monotonic()
        answer = bed.get_slowly(APP, "/slow.php?s=30", 60)
        assert answer.status == 502 and time.monotonic() - started < 20, answer
    finally:
        bed.play("webspace.yml", **webspace(A, "active"))
        bed.play("domain.yml", **domain(bed, A, APP, domain_state="absent"))
    # Back to the role's five minutes.
    assert "request_terminate_timeout = 300s" in bed.ok(f"cat /etc/webspaces/php-fpm/{A}.conf")


def test_a_site_may_have_the_longest_name_a_host_can_file(bed):
    """240 characters (a host names the site's files after it, and the panel its default
    document root: 255 less 14 and 15), with its www. alias: nginx's table of server names takes
    them (its default buckets fit names of some 50 characters, and a failed check would fail
    every later change on the host), and the sites beside it go on. One character more is
    refused before the host changes."""
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 43]) + ".test"
    assert len(longest) == 240
    bed.play("domain.yml", **domain(bed, A, longest, domain_aliases=[f"www.{longest}"]))
    for name in (longest, f"www.{longest}"):
        answer = bed.get(name)
        assert answer.status == 200 and longest in answer.body, answer
    assert bed.get(SITE_A).body == PAGE_A
    bed.play("domain.yml", **domain(bed, A, longest, domain_state="absent"))
    assert bed.get(longest).status == 404
    refused = bed.play(
        "domain.yml", expect="failed", **domain(bed, A, longest.replace("d" * 43, "d" * 44))
    )
    assert "at most 240 characters" in " ".join(failure_messages(refused))


def database(owner: str, engine: str, state: str, password: str) -> dict:
    return {
        "webspace_name": owner,
        "database_engine": engine,
        "database_name": f"{owner}_app",
        "database_user": f"{owner}_app",
        "database_password": password,
        "database_state": state,
    }


def test_a_webspaces_php_uses_its_databases_as_the_panel_describes_them(bed):
    maria_password, pg_password = "Maria-4711-pass", "Postgres-4711-pass"
    bed.play("database.yml", **database(A, "mariadb", "active", maria_password))
    made = bed.play("database.yml", **database(A, "postgresql", "active", pg_password))
    page = DATABASE_PHP.format(
        maria=f"{A}_app",
        maria_password=maria_password,
        pg=f"{A}_app",
        pg_password=pg_password,
        port=custom_stats(made)["database"]["port"],
    )
    bed.write_as(A, f"{htdocs(A, SITE_A)}/db.php", page)
    response = bed.get(SITE_A, "/db.php")
    assert (response.status, response.body) == (200, "by mysqli\nby pdo_pgsql\n"), response.body
    bed.ok(f"rm {htdocs(A, SITE_A)}/db.php")
    for engine, password in (("mariadb", maria_password), ("postgresql", pg_password)):
        for state in ("archived", "purged"):
            bed.play("database.yml", **database(A, engine, state, password))


def test_a_webspaces_php_has_the_modules_common_applications_need(bed):
    bed.write_as(A, f"{htdocs(A, SITE_A)}/modules.php", MODULES_PHP.replace("{site}", SITE_A))
    response = bed.get(SITE_A, "/modules.php")
    bed.ok(f"rm {htdocs(A, SITE_A)}/modules.php")
    assert (response.status, response.body) == (200, MODULES_ANSWER), response.body


def test_a_webspaces_memory_cache_is_its_own(bed):
    """APCu keeps what a site stored from one request to the next, in the webspace's own PHP-FPM:
    the neighbour's PHP, asking for the same key, finds nothing. An SSH login's PHP (occ, wp-cli)
    has a cache too."""
    bed.write_as(A, f"{htdocs(A, SITE_A)}/store.php", CACHE_STORE)
    for webspace, site in ((A, SITE_A), (B, SITE_B)):
        bed.write_as(webspace, f"{htdocs(webspace, site)}/fetch.php", CACHE_FETCH)
    stored = bed.get(SITE_A, "/store.php")
    own = bed.get(SITE_A, "/fetch.php")
    neighbour = bed.get(SITE_B, "/fetch.php")
    command_line = bed.ok(f'runuser -u {A} -- php -r "{CACHE_CLI}"')
    bed.ok(f"rm {htdocs(A, SITE_A)}/store.php {htdocs(A, SITE_A)}/fetch.php")
    bed.ok(f"rm {htdocs(B, SITE_B)}/fetch.php")
    assert (stored.status, stored.body) == (200, "stored")
    assert (own.status, own.body) == (200, "read: secret of abc00")
    assert (neighbour.status, neighbour.body) == (200, "none")
    assert command_line == "cached"


def test_a_module_new_to_the_host_reaches_the_running_sites(bed):
    """A host set up before a module joined webspace_packages (php-apcu and php-sqlite3 here,
    taken away first) gets it with its next webspace job, and every running webspace's PHP loads
    it then, not only the job's own. The packages come from a local repository of the testbed, as
    the hosts reach nothing beyond it."""
    folder = mirror.ensure_mirror(bed.host.suite, print)
    sites = {A: SITE_A, B: SITE_B}
    for owner, site in sites.items():
        bed.write_as(owner, f"{htdocs(owner, site)}/module.php", MODULE_LOADED)
    # php-apcu and the version's package (php8.4-apcu), and so on
    packages = " ".join(f"'php*-{module}'" for module in MODULES_NEW)
    installed = f"$(dpkg-query -W -f '${{Package}} ' {packages})"
    bed.ok(f"DEBIAN_FRONTEND=noninteractive apt-get purge -y -q {installed}")
    for owner in sites:
        bed.ok(f"systemctl restart {php_unit(owner)}")
    assert [bed.get(site, "/module.php").body for site in sites.values()] == ["missing"] * 2

    with served_repository(folder) as url:
        bed.ok(f"mkdir {APT_KEPT} && mv /etc/apt/sources.list* {APT_KEPT}/")
        bed.ok("mkdir /etc/apt/sources.list.d")
        bed.write_as("root", "/etc/apt/sources.list.d/testbed.sources", mirror.sources_entry(url))
        try:
            bed.ok("apt-get update -q")
            # The host's record of its setup is out of date, as after an update of the panel.
            bed.ok(f"rm {HOST_STAMP}")
            bed.play("webspace.yml", **webspace(A, "active"))
        finally:
            bed.ok(f"rm -r /etc/apt/sources.list.d && mv {APT_KEPT}/* /etc/apt/")
            bed.ok(f"rmdir {APT_KEPT}")
    answers = [bed.get(site, "/module.php").body for site in sites.values()]
    for owner, site in sites.items():
        bed.ok(f"rm {htdocs(owner, site)}/module.php")
    assert answers == ["loaded"] * 2


def test_a_new_definition_of_the_php_service_restarts_every_webspace_s_php(bed):
    """The PHP service's definition is every webspace's, and a new one may close a hole: a job of
    one webspace that writes it restarts the PHP of all that run (a reload would keep the old
    sandbox), and each comes back."""

    def main_pids() -> list[str]:
        return [
            bed.ok(f"systemctl show --property=MainPID --value {php_unit(name)}").strip()
            for name in (A, B)
        ]

    before = main_pids()
    bed.ok(f"echo '# definition-of-yesterday' >> {PHP_UNIT_FILE}")
    bed.ok(f"rm {HOST_STAMP}")
    bed.play("webspace.yml", **webspace(A, "active"))
    after = main_pids()
    assert "definition-of-yesterday" not in bed.ok(f"cat {PHP_UNIT_FILE}")
    for name, old, new in zip((A, B), before, after, strict=True):
        assert new not in ("0", old), (name, old, new)
        assert unit_states(bed, php_unit(name)) == ("active", "enabled")
    bed.write_as(B, f"{htdocs(B, SITE_B)}/whoami.php", WHOAMI)
    answers = [bed.get(site, "/whoami.php").body for site in (SITE_A, SITE_B)]
    bed.ok(f"rm {htdocs(B, SITE_B)}/whoami.php")
    assert answers == [A, B]


# The panel's lines in common-session changed by hand: all gone, or the profile's earlier
# version kept (its guard skipping one line, without the slice's line).
HAND_CHANGES = {
    "gone": "/pam_succeed_if.so quiet user notingroup/,+2d",
    "earlier": "/webspace-login-slice/d; s/success=2 default=ignore/success=1 default=ignore/",
}


@pytest.mark.parametrize("change", sorted(HAND_CHANGES))
def test_pam_files_changed_by_hand_fail_the_host_setup_with_the_reason(bed, change):
    """pam-auth-update leaves PAM's common files alone where they were changed by hand, and
    says so with success: the host's setup fails with the reason instead of leaving the
    logins in the host's shared /tmp or outside their webspaces' slices, and passes once the
    files are pam-auth-update's again."""
    bed.play("webspace.yml", **webspace(A, "active"))
    kept = bed.ok(f"cat {PAM_SESSION}")
    assert "pam_namespace.so" in kept and "webspace-login-slice" in kept
    bed.ok(f"cp -p {PAM_SESSION} /root/common-session.kept")
    # An admin's own line in the block pam-auth-update manages, and the panel's lines changed.
    bed.ok(
        f"sed -i -e {shlex.quote(HAND_CHANGES[change])}"
        r" -e '/^# here are the per-package modules/a session\toptional\tpam_motd.so'"
        f" {PAM_SESSION}"
    )
    bed.ok(f"rm {HOST_STAMP}")
    refused = bed.play("webspace.yml", expect="failed", **webspace(A, "active"))
    assert "(changed by hand?)" in " ".join(failure_messages(refused)), describe(refused)
    assert "webspace-login-slice" not in bed.ok(f"cat {PAM_SESSION}")

    bed.ok(f"mv /root/common-session.kept {PAM_SESSION}")
    bed.ok(f"rm -f {HOST_STAMP}")
    bed.play("webspace.yml", **webspace(A, "active"))
    assert bed.ok(f"cat {PAM_SESSION}") == kept


def test_the_logins_join_their_slice_after_libpam_systemd_s_module(bed):
    """Where libpam-systemd is installed (Debian's cloud images; the testbed's image has none),
    its module puts a session into logind's scope of it: the panel's lines come after it in
    common-session, so that the session ends in its webspace's slice. Shown with a profile like
    libpam-systemd's (priority 0, an optional line; here under a name of its own)."""
    name = "panel-test-systemd"
    profile = f"/usr/share/pam-configs/{name}"
    update = "DEBIAN_FRONTEND=noninteractive pam-auth-update --package"
    bed.play("webspace.yml", **webspace(A, "active"))
    try:
        written = (
            "Name: Register user sessions in the systemd control group hierarchy\n"
            "Default: yes\nPriority: 0\nSession-Interactive-Only: yes\n"
            "Session-Type: Additional\nSession:\n\toptional\tpam_systemd.so\n"
        )
        bed.ok(f"printf %s {shlex.quote(written)} > {profile}")
        bed.ok(f"{update} --enable {name}")
        lines = bed.ok(f"grep -e pam_systemd.so -e webspace-login-slice {PAM_SESSION}")
        found = ["systemd" if "pam_systemd" in line else "slice" for line in lines.splitlines()]
        assert found == ["systemd", "slice"], lines
    finally:
        bed.sh(f"{update} --remove {name}; rm -f {profile}")
    assert "pam_systemd" not in bed.ok(f"cat {PAM_SESSION}")


def wordpress_tar(folder: Path) -> bytes:
    """Debian's WordPress tree (wordpress and its default theme) as a member would upload it,
    without Debian's link of .htaccess to /etc/wordpress: a gzipped tar."""
    tree = folder / "wordpress-packages"
    for name in WORDPRESS_PACKAGES:
        found = sorted(APPS.glob(f"{name}_*.deb"))
        assert found, f"{APPS}/{name}_*.deb is missing: run `make test-packages`"
        subprocess.run(["dpkg-deb", "-x", str(found[-1]), str(tree)], check=True)
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as archive:
        root = tree / "usr/share/wordpress"
        for each in sorted(root.iterdir()):
            if each.name != ".htaccess":
                archive.add(each, arcname=each.name)
    return packed.getvalue()


def test_wordpress_installs_on_a_webspace_and_serves_its_blog(bed):
    """A real application: WordPress uploaded to a site of the webspace, its installer run over
    HTTP against a MariaDB database the panel made, then its blog, a post at its permalink and
    its dashboard after a login."""
    password = "Wp-4711-pass"
    made = {
        **database(A, "mariadb", "active", password),
        "database_name": f"{A}_wp",
        "database_user": f"{A}_wp",
    }
    bed.play("database.yml", **made)
    bed.play("domain.yml", **domain(bed, A, BLOG))
    root = htdocs(A, BLOG)
    # Unpacked by the member from standard input, as an upload over SSH: root writes no file
    # on the host (in /var/tmp a member could have planted a link in its place).
    unpack = f"runuser -u {A} -- tar -xz -C {root}"
    status, output = on_host_given(bed.state, bed.host.name, unpack, wordpress_tar(bed.folder))
    assert status == 0, output
    config = WORDPRESS_CONFIG.format(database=f"{A}_wp", password=password)
    bed.write_as(A, f"{root}/wp-config.php", config)

    form = bed.get(BLOG, "/wp-admin/install.php")
    assert form.status == 200 and 'action="install.php?step=2"' in form.body, form.body[-2000:]
    fields = {
        "weblog_title": BLOG_TITLE,
        "user_name": "admin",
        "admin_password": BLOG_PASSWORD,
        "admin_password2": BLOG_PASSWORD,
        "admin_email": "admin@example.org",
        "blog_public": "0",
        "language": "",
    }
    installed = http_post(bed.address, BLOG, "/wp-admin/install.php?step=2", fields, {})
    assert installed.status == 200 and "<h1>Success!</h1>" in installed.body, installed.body
    home = bed.get(BLOG)
    assert home.status == 200 and BLOG_TITLE in home.body

    # Pretty permalinks (as Settings → Permalinks stores them): WordPress sends ?p=1 on to the
    # post's address, which no file names; the site gives it to WordPress' index.php.
    bed.ok(f'mysql {A}_wp -e "{PERMALINKS}"')
    moved = bed.get(BLOG, "/?p=1")
    assert moved.status == 301, moved.status
    permalink = moved.headers["Location"].removeprefix(f"http://{BLOG}")
    assert re.fullmatch(r"/\d{4}/\d{2}/hello-world/", permalink), permalink
    post = bed.get(BLOG, permalink)
    assert post.status == 200 and "Hello world!" in post.body

    # A login: WordPress' cookies, then its dashboard.
    test_cookie = {"Cookie": "wordpress_test_cookie=WP%20Cookie%20check"}
    login = {"log": "admin", "pwd": BLOG_PASSWORD, "testcookie": "1"}
    answer = http_post(bed.address, BLOG, "/wp-login.php", login, test_cookie)
    assert answer.status == 302, answer.body[-2000:]
    cookies = "; ".join(header.split(";")[0] for header in answer.headers.get_all("Set-Cookie", []))
    dashboard = bed.get_with(BLOG, "/wp-admin/", {"Cookie": cookies})
    assert dashboard.status == 200 and "Dashboard" in dashboard.body
    assert "Fatal error" not in bed.ok(f"cat {HOME}/{A}/logs/php-error.log || true")

    bed.play("domain.yml", **domain(bed, A, BLOG, domain_state="absent"))
    for state in ("archived", "purged"):
        bed.play("database.yml", **{**made, "database_state": state})


def test_tls_comes_from_the_acme_server_and_renews(bed):
    for name in (SITE_A, ALIAS_A):
        bed.acme.add_name(name, bed.address)
    run = bed.play("domain.yml", **domain(bed, A, SITE_A, tls=True, domain_aliases=[ALIAS_A]))
    stats = custom_stats(run)["domain"]
    assert stats["name"] == SITE_A
    assert stats["tls_error"] == ""

    for name in (SITE_A, ALIAS_A):
        response = bed.get(name, https=True)
        assert (response.status, response.body) == (200, PAGE_A)
        plain = bed.get(name, "/whoami.php")
        assert plain.status == 301
        assert plain.headers["Location"] == f"https://{name}/whoami.php"
    assert bed.get(SITE_A, "/whoami.php", https=True).body == A

    served = tls_certificate(bed.address, SITE_A, bed.root_file)
    not_after = datetime.datetime.strptime(served["notAfter"], "%b %d %H:%M:%S %Y %Z")
    assert stats["tls_not_after"] == not_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert sorted(value for _, value in served["subjectAltName"]) == sorted([SITE_A, ALIAS_A])

    renewal = bed.ok(f"cat /etc/letsencrypt/renewal/{SITE_A}.conf")
    assert f"server = {bed.acme.directory_url}" in renewal

    # What certbot.timer runs, with the environment its unit gives it: the certificate is renewed
    # at Pebble and nginx (the deploy hook) serves the new one.
    environment = bed.ok("systemctl show certbot.service --property=Environment --value").strip()
    assert "REQUESTS_CA_BUNDLE=" in environment
    assert bed.ok("systemctl is-enabled certbot.timer").strip() == "enabled"
    bed.ok(
        f"env {environment} certbot renew --force-renewal --no-random-sleep-on-renew "
        f"--cert-name {SITE_A} 2>&1"
    )
    poll(
        lambda: (
            tls_certificate(bed.address, SITE_A, bed.root_file)["serialNumber"]
            != served["serialNumber"]
        ),
        10,
        "nginx does not serve the renewed certificate",
    )
    # The renewed certificate is the one domain.yml wants: a second run changes nothing.
    bed.again_unchanged("domain.yml", **domain(bed, A, SITE_A, tls=True, domain_aliases=[ALIAS_A]))

    # Where the timer failed, the panel's next run of domain.yml renews a certificate that ends
    # within domain_renew_days (here: any).
    renewed = tls_certificate(bed.address, SITE_A, bed.root_file)["serialNumber"]
    bed.play(
        "domain.yml",
        **domain(bed, A, SITE_A, tls=True, domain_aliases=[ALIAS_A], domain_renew_days=100000),
    )
    assert tls_certificate(bed.address, SITE_A, bed.root_file)["serialNumber"] != renewed


def test_a_failed_issuance_fails_the_job_and_keeps_http(bed):
    # NOWHERE resolves nowhere: Pebble cannot validate it.
    run = bed.play("domain.yml", expect="failed", **domain(bed, B, NOWHERE, tls=True))
    stats = custom_stats(run)["domain"]
    assert stats["tls_not_after"] is None
    # Pebble's validation authority could not look the name up: certbot passes its detail on.
    assert stats["tls_error"].startswith(f"certbot could not get a certificate for {NOWHERE}: ")
    assert f"Domain: {NOWHERE}; Type: connection; Detail: " in stats["tls_error"], stats
    assert "resolve" in stats["tls_error"], stats
    assert failure_messages(run) == [stats["tls_error"]]

    bed.write_as(B, f"{htdocs(B, NOWHERE)}/index.html", PAGE_B)
    response = bed.get(NOWHERE)
    assert (response.status, response.body) == (200, PAGE_B)


def test_a_suspended_webspace_answers_503_until_active_again(bed):
    bed.play("webspace.yml", **webspace(A, "suspended"))
    for path in ("/", "/whoami.php"):
        response = bed.get(SITE_A, path, https=True)
        assert response.status == 503
        assert all(text in response.body for text in SUSPENDED_TEXT), response.body
    assert bed.get(SITE_B).body == PAGE_B  # the other webspace serves on
    assert bed.sh(f"test -e /run/php/webspace-{A}.sock")[0] != 0
    assert unit_states(bed, php_unit(A)) == ("inactive", "disabled")
    assert php_worker_cgroups(bed, A) == []
    assert unit_states(bed, php_unit(B)) == ("active", "enabled")
    bed.again_unchanged("webspace.yml", **webspace(A, "suspended"))
    # The panel passes the webspace's state to domain.yml too; the site stays suspended.
    bed.again_unchanged(
        "domain.yml",
        **domain(bed, A, SITE_A, tls=True, domain_aliases=[ALIAS_A], webspace_state="suspended"),
    )

    bed.play("webspace.yml", **webspace(A, "active"))
    assert unit_states(bed, php_unit(A)) == ("active", "enabled")
    assert bed.get(SITE_A, https=True).body == PAGE_A
    assert bed.get(SITE_A, "/whoami.php", https=True).body == A


def test_a_pool_left_in_the_shared_php_fpm_moves_to_the_webspaces_own(bed):
    """A host set up before each webspace had its own PHP-FPM: A's pool in Debian's pool.d."""
    version = bed.ok("ls /etc/php").split()[-1]
    shared, pool = f"php{version}-fpm", f"/etc/php/{version}/fpm/pool.d/webspace-{A}.conf"
    bed.ok(f"systemctl disable --now {php_unit(A)} 2>&1")
    old_pool = (
        f"[{A}]\nuser = {A}\ngroup = {A}\nlisten = /run/php/webspace-{A}.sock\n"
        "listen.owner = www-data\nlisten.group = www-data\nlisten.mode = 0600\n"
        "pm = ondemand\npm.max_children = 2\n"
    )
    bed.write_as("root", pool, old_pool)
    bed.ok(f"systemctl reload {shared}")
    poll(
        lambda: bed.sh(f"test -S /run/php/webspace-{A}.sock")[0] == 0,
        10,
        "the shared PHP-FPM does not serve the old pool",
    )
    assert bed.get(SITE_A, "/whoami.php", https=True).body == A
    assert php_worker_cgroups(bed, A) == [f"/system.slice/{shared}.service"]

    bed.play("webspace.yml", **webspace(A, "active"))
    assert bed.sh(f"test -e {pool}")[0] != 0
    assert unit_states(bed, php_unit(A)) == ("active", "enabled")
    assert unit_states(bed, f"{shared}.service")[0] == "active"
    assert bed.get(SITE_A, "/whoami.php", https=True).body == A
    assert set(php_worker_cgroups(bed, A)) == {php_cgroup(A)}
    bed.again_unchanged("webspace.yml", **webspace(A, "active"))


def test_archive_takes_the_site_offline_and_restore_brings_it_back(bed):
    uid = bed.ok(f"id -u {A}").strip()
    run = bed.play("webspace.yml", **webspace(A, "archived"))
    assert custom_stats(run)["webspace"]["uid"] == int(uid)
    assert PAGE_A not in bed.get(SITE_A).body
    with pytest.raises(ssl.SSLError):
        bed.get(SITE_A, https=True)
    assert bed.sh(f"test -e {HOME}/{A}")[0] != 0
    archive = bed.ok(
        f"stat -c '%U %a' /var/backups/webspaces/{A}.tar.gz; getent passwd {A} | cut -d: -f3,7"
    )
    assert archive.split() == ["root", "600", f"{uid}:/usr/sbin/nologin"]
    listing = bed.ok(f"tar --list --verbose --gzip --file /var/backups/webspaces/{A}.tar.gz")
    assert f"{A}/domains/{SITE_A}/htdocs/whoami.php" in listing
    assert unit_states(bed, php_unit(A)) == ("inactive", "disabled")
    assert bed.sh(f"test -e /etc/webspaces/php-fpm/{A}.conf")[0] != 0
    bed.again_unchanged("webspace.yml", **webspace(A, "archived"))

    bed.play("webspace.yml", **webspace(A, "active"))
    assert unit_states(bed, php_unit(A)) == ("active", "enabled")
    assert bed.get(SITE_A, https=True).body == PAGE_A
    assert bed.get(SITE_A, "/whoami.php", https=True).body == A
    assert bed.ok(f"id -u {A}").strip() == uid
    assert bed.sh(f"test -e /var/backups/webspaces/{A}.tar.gz")[0] != 0


def test_an_absent_domain_keeps_its_files(bed):
    bed.play("domain.yml", **domain(bed, B, SITE_B, domain_state="absent"))
    assert PAGE_B not in bed.get(SITE_B).body
    assert bed.ok(f"cat {htdocs(B, SITE_B)}/index.html") == PAGE_B
    assert bed.sh(f"test -e /etc/nginx/sites-available/webspace-{SITE_B}.conf")[0] != 0
    bed.again_unchanged("domain.yml", **domain(bed, B, SITE_B, domain_state="absent"))


def test_purge_leaves_nothing(bed):
    bed.play("webspace.yml", **webspace(B, "archived"))
    # A limit set on the slice by hand goes with the webspace.
    bed.ok(f"systemctl set-property webspace-{B}.slice TasksMax=500")
    for name in (A, B):
        run = bed.play("webspace.yml", **webspace(name, "purged"))
        assert custom_stats(run)["webspace"]["uid"] is None
    bed.again_unchanged("webspace.yml", **webspace(A, "purged"))

    paths = [
        f"/etc/letsencrypt/{kind}/{name}"
        for kind in ("live", "archive")
        for name in (SITE_A, NOWHERE)
    ]
    for name in (A, B):
        paths += [
            f"{HOME}/{name}",
            f"/var/backups/webspaces/{name}.tar.gz",
            f"/var/log/webspaces/{name}",
            f"/etc/webspaces/{name}.quota",
            f"/etc/nginx/webspaces/{name}.conf",
            f"/var/lib/webspaces/{name}",
            f"/run/php/webspace-{name}.sock",
            f"/etc/webspaces/php-fpm/{name}.conf",
            f"/etc/systemd/system/multi-user.target.wants/{php_unit(name)}",
            f"/etc/systemd/system.control/webspace-{name}.slice.d",
        ]
    for site in (SITE_A, SITE_B, NOWHERE):
        paths += [
            f"/etc/nginx/sites-available/webspace-{site}.conf",
            f"/etc/nginx/sites-enabled/webspace-{site}.conf",
            f"/etc/letsencrypt/renewal/{site}.conf",
            f"/etc/letsencrypt/renewal/{site}.conf.archived",
        ]
    left = bed.ok(
        f"for p in {' '.join(paths)}; do test -e $p && echo $p; done; "
        f"ls /etc/php/*/fpm/pool.d/ | grep webspace-; "
        f"getent passwd {A} {B}; getent group {A} {B}; "
        f"systemctl list-units --all --plain --no-legend 'webspace-*'; true"
    )
    assert left == ""
    assert PAGE_A not in bed.get(SITE_A).body
