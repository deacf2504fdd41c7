import socket
import subprocess
import time

import dns.exception
import dns.message
import dns.query
import pytest
from webspace_jobs import succeed

from panel.core.audit import acting
from panel.webspaces import operations


@pytest.fixture
def web_host(make_host):
    return make_host("web1")


@pytest.fixture
def make_webspace(web_host):
    """An active webspace of the member (its set-up job ended successful)."""

    def make(member):
        with acting("cli"):
            webspace, job = operations.create_webspace(member)
            succeed(job, {"webspace": {"uid": 2000, "quota_enforced": False}})
        return webspace

    return make


class DnsServer:
    """Debian's dnsmasq on a loopback port, answering only the records a test gives it."""

    def __init__(self, folder):
        self.folder = folder
        self.process = None
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def serve(self, txt: dict[str, str | list[str]]) -> None:
        """Answer these TXT records: a value, or several values of one name."""
        self.stop()
        config = self.folder / "dnsmasq.conf"
        lines = [
            f'txt-record={name},"{value}"\n'
            for name, values in txt.items()
            for value in ([values] if isinstance(values, str) else values)
        ]
        config.write_text("".join(lines))
        self.process = subprocess.Popen(
            [
                "/usr/sbin/dnsmasq",
                "--keep-in-foreground",
                "--no-resolv",
                "--no-hosts",
                "--no-daemon",
                f"--port={self.port}",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                f"--conf-file={config}",
                f"--pid-file={self.folder / 'dnsmasq.pid'}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dnsmasq did not start: {self.process.stderr.read()!r}")
            time.sleep(0.05)

    def _answers(self) -> bool:
        query = dns.message.make_query("ready.invalid", "TXT")
        try:
            dns.query.udp(query, "127.0.0.1", port=self.port, timeout=0.2)
        except (dns.exception.Timeout, OSError):
            return False
        return True

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def dns_server(tmp_path, app, monkeypatch):
    server = DnsServer(tmp_path)
    monkeypatch.setitem(app.config, "DNS_RESOLVER", server.address)
    yield server
    server.stop()
