"""Prometheus' HTTP API, read-only: raw samples of a metric, instant queries, series lists."""

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

from panel.metering.readings import Sample

TIMEOUT = 60
# How Prometheus writes a matrix answer: the series follow one by one, each as its labels and
# then its samples, [time,"value"] pairs with nothing else in them.
MATRIX_HEAD = '{"status":"success","data":{"resultType":"matrix","result":['
SERIES_HEAD = '{"metric":'
VALUES_HEAD = ',"values":[['
NOT_NUMBERS = str.maketrans("", "", '[]"')


class PrometheusUnavailable(RuntimeError):
    """Prometheus did not answer, or answered with an error."""


@dataclass(frozen=True)
class Series:
    """A series' labels and its samples' times and values, as floats in two arrays: a period
    of ten thousand series holds millions of samples."""

    labels: dict[str, str]
    times: array
    values: array

    @property
    def samples(self) -> list[Sample]:
        return list(zip(self.times, self.values, strict=True))


class Matrix:
    """A matrix answer, read series by series as it is iterated: only one series' parsed
    samples exist at a time besides those the reader keeps."""

    def __init__(self, text: str):
        self.text = text

    def __iter__(self) -> Iterator[Series]:
        try:
            if self.text.startswith(MATRIX_HEAD):
                yield from self._streamed()
            else:
                yield from self._whole()
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise PrometheusUnavailable(f"unreadable answer: {exc}") from exc

    def _whole(self) -> Iterator[Series]:
        """Not in Prometheus' own layout (a proxy's, say): read whole."""
        result = _data(json.loads(self.text))
        if result["resultType"] != "matrix":
            raise PrometheusUnavailable(f"expected a matrix, got {result['resultType']}")
        for item in result["result"]:
            yield _series(item["metric"], item["values"])

    def _streamed(self) -> Iterator[Series]:
        """Each series' labels through the JSON decoder; its samples, the bulk of the
        answer, read as the numbers they are."""
        text, decode = self.text, json.JSONDecoder().raw_decode
        position = len(MATRIX_HEAD)
        while text[position] != "]":
            begin = position
            if not text.startswith(SERIES_HEAD, begin):
                raise ValueError(f"a series expected at {begin}")
            labels, position = decode(text, begin + len(SERIES_HEAD))
            # The first "]]" ends the samples: nothing in them holds one.
            end = text.find("]]", position) + len("]]}")
            if text.startswith(VALUES_HEAD, position) and text[end - 1] == "}":
                numbers = text[position + len(VALUES_HEAD) : end - 2].translate(NOT_NUMBERS)
                yield _series_of_numbers(labels, _numbers(numbers))
            else:
                # Another layout (no samples, or native histograms too): read as JSON.
                item, end = decode(text, begin)
                yield _series(labels, item.get("values", []))
            position = end + (text[end] == ",")


class Prometheus:
    def __init__(self, url: str, timeout: float = TIMEOUT):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def raw_samples(self, metric: str, at: float, window_seconds: int) -> Matrix:
        """Every sample of each series of the metric in (at - window, at], as stored."""
        return self._matrix(f"{metric}[{int(window_seconds)}s]", at)

    def evaluated(self, expression: str, at: float, window_seconds: int, step: int) -> Matrix:
        """The expression's value every STEP seconds in the window (a subquery): each reading
        is the latest sample at that moment, until Prometheus deems the series stale."""
        return self._matrix(f"({expression})[{int(window_seconds)}s:{int(step)}s]", at)

    def _matrix(self, query: str, at: float) -> Matrix:
        return Matrix(self._text("/api/v1/query", {"query": query, "time": _time(at)}))

    def instant(self, query: str, at: float | None = None) -> list[tuple[dict[str, str], float]]:
        """An instant vector: each series' labels and value."""
        params = {"query": query}
        if at is not None:
            params["time"] = _time(at)
        result = self._get("/api/v1/query", params)
        if result["resultType"] != "vector":
            raise PrometheusUnavailable(f"expected a vector, got {result['resultType']}")
        return [(item["metric"], float(item["value"][1])) for item in result["result"]]

    def _get(self, path: str, params: dict[str, str]):
        try:
            body = json.loads(self._text(path, params))
        except ValueError as exc:
            raise PrometheusUnavailable(f"Prometheus at {self.url} did not answer: {exc}") from exc
        return _data(body)

    def _text(self, path: str, params: dict[str, str]) -> str:
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        try:
            # Bandit B310, a false positive: the operator's PANEL_PROMETHEUS_URL, no input.
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310  # nosec B310
                return response.read().decode()
        except urllib.error.HTTPError as exc:
            raise PrometheusUnavailable(f"Prometheus answered {exc.code}: {_error(exc)}") from exc
        except (OSError, ValueError) as exc:
            raise PrometheusUnavailable(f"Prometheus at {self.url} did not answer: {exc}") from exc


def _data(body: dict):
    if body.get("status") != "success":
        raise PrometheusUnavailable(f"Prometheus refused the query: {body.get('error')}")
    return body["data"]


def _numbers(text: str) -> array:
    """Numbers apart by commas, as Prometheus writes times and values: read as a JSON list
    (about twice as fast as each through float()), its infinities spelt JSON's way."""
    if "Inf" in text:
        text = text.replace("+Inf", "Infinity").replace("-Inf", "-Infinity")
    try:
        return array("d", json.loads(f"[{text}]"))
    except (TypeError, ValueError) as exc:
        raise PrometheusUnavailable(f"unreadable samples: {text[:80]!r}") from exc


def _series(labels: dict[str, str], pairs: list) -> Series:
    try:
        read = array("d", [float(number) for pair in pairs for number in pair])
    except (TypeError, ValueError) as exc:
        raise PrometheusUnavailable(f"unreadable sample in {labels!r}") from exc
    return _series_of_numbers(labels, read)


def _series_of_numbers(labels: dict[str, str], read: array) -> Series:
    """From time, value, time, value...: the samples without NaN and infinities
    (Prometheus' stale markers)."""
    if len(read) % 2:
        raise PrometheusUnavailable(f"a time without its value in {labels!r}")
    times, values = read[0::2], read[1::2]
    if not all(map(math.isfinite, values)):
        finite = [
            (time, value) for time, value in zip(times, values, strict=True) if math.isfinite(value)
        ]
        times = array("d", [time for time, _ in finite])
        values = array("d", [value for _, value in finite])
    return Series(labels, times, values)


def _time(at: float) -> str:
    return f"{at:.3f}"


def _error(exc: urllib.error.HTTPError) -> str:
    try:
        return json.load(exc).get("error", "")
    except (OSError, ValueError):
        return exc.reason
