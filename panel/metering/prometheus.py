"""Prometheus' HTTP API, read-only: raw samples of a metric, instant queries, series lists."""

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from panel.metering.readings import Sample

TIMEOUT = 60


class PrometheusUnavailable(RuntimeError):
    """Prometheus did not answer, or answered with an error."""


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    samples: list[Sample]


class Prometheus:
    def __init__(self, url: str, timeout: float = TIMEOUT):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def raw_samples(self, metric: str, at: float, window_seconds: int) -> list[Series]:
        """Every sample of each series of the metric in (at - window, at], as stored."""
        return self._matrix(f"{metric}[{int(window_seconds)}s]", at)

    def evaluated(self, expression: str, at: float, window_seconds: int, step: int) -> list[Series]:
        """The expression's value every STEP seconds in the window (a subquery): each reading
        is the latest sample at that moment, until Prometheus deems the series stale."""
        return self._matrix(f"({expression})[{int(window_seconds)}s:{int(step)}s]", at)

    def _matrix(self, query: str, at: float) -> list[Series]:
        result = self._get("/api/v1/query", {"query": query, "time": _time(at)})
        if result["resultType"] != "matrix":
            raise PrometheusUnavailable(f"expected a matrix, got {result['resultType']}")
        return [
            Series(item["metric"], [s for s in map(_sample, item["values"]) if s[1].is_finite()])
            for item in result["result"]
        ]

    def instant(self, query: str, at: float | None = None) -> list[tuple[dict[str, str], float]]:
        """An instant vector: each series' labels and value."""
        params = {"query": query}
        if at is not None:
            params["time"] = _time(at)
        result = self._get("/api/v1/query", params)
        if result["resultType"] != "vector":
            raise PrometheusUnavailable(f"expected a vector, got {result['resultType']}")
        return [(item["metric"], float(item["value"][1])) for item in result["result"]]

    def targets(self) -> list[dict]:
        return self._get("/api/v1/targets", {"state": "active"})["activeTargets"]

    def _get(self, path: str, params: dict[str, str]):
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        try:
            # Bandit B310, a false positive: the operator's PANEL_PROMETHEUS_URL, no input.
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310  # nosec B310
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            raise PrometheusUnavailable(f"Prometheus answered {exc.code}: {_error(exc)}") from exc
        except (OSError, ValueError) as exc:
            raise PrometheusUnavailable(f"Prometheus at {self.url} did not answer: {exc}") from exc
        if body.get("status") != "success":
            raise PrometheusUnavailable(f"Prometheus refused the query: {body.get('error')}")
        return body["data"]


def _time(at: float) -> str:
    return f"{at:.3f}"


def _sample(point: list) -> Sample:
    try:
        return float(point[0]), Decimal(point[1])
    except (InvalidOperation, TypeError, IndexError) as exc:
        raise PrometheusUnavailable(f"unreadable sample {point!r}") from exc


def _error(exc: urllib.error.HTTPError) -> str:
    try:
        return json.load(exc).get("error", "")
    except (OSError, ValueError):
        return exc.reason
