"""A real Prometheus (Debian's binary) for tests, on a free loopback port. Its data can be
written beforehand with promtool, so that a test knows every sample exactly."""

import contextlib
import http.server
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_blocks(folder: Path, series: dict[str, list[tuple[float, float]]]) -> Path:
    """Store samples in a TSDB folder: keys are series like 'name{label="x"}', values
    (unix time, value) pairs."""
    text = folder / "samples.om"
    lines = []
    by_name: dict[str, list[str]] = {}
    for key, samples in series.items():
        name = key.split("{", 1)[0]
        by_name.setdefault(name, []).extend(f"{key} {value} {at:.3f}" for at, value in samples)
    for name, samples in by_name.items():
        lines.append(f"# TYPE {name} gauge")
        lines.extend(samples)
    lines.append("# EOF")
    text.write_text("\n".join(lines) + "\n")
    data = folder / "data"
    subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(text), str(data)],
        check=True,
        capture_output=True,
    )
    return data


class PrometheusServer:
    def __init__(self, folder: Path, config: str = "global: {}\n"):
        self.folder = folder
        self.config = folder / "prometheus.yml"
        if not self.config.exists():
            self.config.write_text(config)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "PrometheusServer":
        self.process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={self.config}",
                f"--storage.tsdb.path={self.folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=error",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("Prometheus did not start")
            time.sleep(0.1)
        return self

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class _RecordingProxy(http.server.ThreadingHTTPServer):
    def __init__(self, upstream: str, prefix: str):
        self.upstream, self.prefix = upstream, prefix
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{self.prefix}"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: _RecordingProxy

    def do_GET(self) -> None:
        self.server.paths.append(self.path.split("?", 1)[0])
        if not self.path.startswith(f"{self.server.prefix}/"):
            self.send_error(404)
            return
        target = self.server.upstream + self.path.removeprefix(self.server.prefix)
        with urllib.request.urlopen(target, timeout=30) as answer:
            body = answer.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        """Quiet: the test reads the recorded paths."""


@contextlib.contextmanager
def store_under_prefix(upstream: str, prefix: str) -> Iterator[_RecordingProxy]:
    """A stand-in for a long-term store that speaks Prometheus' HTTP API under PREFIX (Mimir's
    `/prometheus`, VictoriaMetrics' `/select/0/prometheus`): GETs under it go to UPSTREAM, and
    the paths asked for are recorded (`.paths`)."""
    proxy = _RecordingProxy(upstream, prefix)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
