import secrets
import subprocess
import time

import dns.exception
import dns.message
import dns.query
import pytest
from hosts_support import free_dns_port

START_ATTEMPTS = 5
START_TIMEOUT = 30
READY_NAME = "ready.invalid"


class DnsServer:
    """Debian's dnsmasq on a loopback port, answering only the records a test gives it.

    The port is chosen free, but another process (the other database's suite runs at the same
    time) can take it before dnsmasq binds it: then dnsmasq starts again on another port, and
    CONFIG's DNS_RESOLVER follows it."""

    def __init__(self, folder, config):
        self.folder = folder
        self.config = config
        self.process = None
        self._use_port(free_dns_port())

    def _use_port(self, port: int) -> None:
        self.port = port
        self.config["DNS_RESOLVER"] = self.address

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
        # Its own answer to READY_NAME tells this dnsmasq from one of another process that
        # took the port.
        self.ready_token = secrets.token_hex(8)
        lines.append(f'txt-record={READY_NAME},"{self.ready_token}"\n')
        config.write_text("".join(lines))
        for _ in range(START_ATTEMPTS):
            error = self._start(config)
            if error is None:
                return
            if b"Address already in use" not in error:
                break
            self._use_port(free_dns_port())
        raise RuntimeError(f"dnsmasq did not start: {error!r}")

    def _start(self, config) -> bytes | None:
        """Starts dnsmasq and waits until it answers; None, or what it said when it gave up."""
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
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if self.process.poll() is not None:
                error = self.process.communicate()[1]
                self.process = None
                return error
            if time.monotonic() > deadline:
                self.stop()
                return f"no answer within {START_TIMEOUT} s".encode()
            time.sleep(0.05)
        return None

    def _answers(self) -> bool:
        query = dns.message.make_query(READY_NAME, "TXT")
        try:
            answer = dns.query.udp(query, "127.0.0.1", port=self.port, timeout=0.2)
        except (dns.exception.Timeout, OSError):
            return False
        return any(
            string.decode() == self.ready_token
            for rrset in answer.answer
            for record in rrset
            for string in record.strings
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.communicate(timeout=10)
        self.process = None


@pytest.fixture
def dns_server(tmp_path, app, monkeypatch):
    # Recorded first, so that the server's own changes are undone after the test.
    monkeypatch.setitem(app.config, "DNS_RESOLVER", "")
    server = DnsServer(tmp_path, app.config)
    yield server
    server.stop()
