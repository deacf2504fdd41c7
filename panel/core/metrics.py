"""The panel's own Prometheus metrics: requests by endpoint, method and status, and latencies;
the features add collectors of their own, and who else may read them."""

import ipaddress
import time
from collections.abc import Callable

from flask import Flask, Request, current_app, g, has_app_context, request
from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "panel_http_requests_total",
    "HTTP requests answered, by endpoint, method and status.",
    ["endpoint", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "panel_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint.",
    ["endpoint"],
    registry=REGISTRY,
)


class FeatureCollectors:
    """The collectors the app's features added (add_collector), asked at scrape time: each
    reads the app's database."""

    def collect(self):
        if not has_app_context():
            return
        for collector in current_app.extensions.get("metrics_collectors", ()):
            yield from collector.collect()


REGISTRY.register(FeatureCollectors())


def add_collector(app: Flask, collector) -> None:
    app.extensions.setdefault("metrics_collectors", []).append(collector)


def add_reader(app: Flask, allowed: Callable[[Request], bool]) -> None:
    """Who may read /metrics besides the addresses of PANEL_METRICS_ALLOW (e.g. an admin's
    token): ALLOWED decides from the request."""
    app.extensions.setdefault("metrics_readers", []).append(allowed)


def may_read() -> bool:
    """Whether the current request may read /metrics."""
    if address_allowed(request.remote_addr, current_app.config["METRICS_ALLOW"]):
        return True
    return any(allowed(request) for allowed in current_app.extensions.get("metrics_readers", ()))


def init_app(app: Flask) -> None:
    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def observe(response):
        # The endpoint name, not the path, keeps the label set bounded.
        endpoint = request.endpoint or "unmatched"
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response


def address_allowed(address: str | None, allow: str) -> bool:
    """Whether a client address lies in one of the comma-separated networks."""
    if not address:
        return False
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    # A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
    if isinstance(client, ipaddress.IPv6Address) and client.ipv4_mapped is not None:
        client = client.ipv4_mapped
    for network in allow.split(","):
        network = network.strip()
        if network and client in ipaddress.ip_network(network, strict=False):
            return True
    return False
