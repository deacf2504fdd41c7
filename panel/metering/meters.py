"""What the ledger measures: each meter is one agent metric read from Prometheus."""

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from panel.metering.models import ResourceType


class Kind(StrEnum):
    # Usage is the counter's increase over the period.
    COUNTER = "counter"
    # Usage is the reading integrated over time (value × hours).
    GAUGE = "gauge"


@dataclass(frozen=True)
class Meter:
    name: str
    series: str
    kind: Kind
    resource_type: ResourceType
    unit: str
    label: object

    @property
    def resource_labels(self) -> tuple[str, ...]:
        """The series labels that name the resource."""
        if self.resource_type == ResourceType.DATABASE:
            return ("engine", "database")
        return ("webspace",)


METERS: dict[str, Meter] = {
    meter.name: meter
    for meter in (
        Meter(
            "traffic",
            "panel_webspace_http_response_bytes_total",
            Kind.COUNTER,
            ResourceType.WEBSPACE,
            "B",
            _l("Traffic"),
        ),
        Meter(
            "requests",
            "panel_webspace_http_requests_total",
            Kind.COUNTER,
            ResourceType.WEBSPACE,
            "requests",
            _l("Requests"),
        ),
        Meter(
            "cpu",
            "panel_webspace_cpu_seconds_total",
            Kind.COUNTER,
            ResourceType.WEBSPACE,
            "s",
            _l("CPU time"),
        ),
        Meter(
            "disk",
            "panel_webspace_disk_usage_bytes",
            Kind.GAUGE,
            ResourceType.WEBSPACE,
            "B·h",
            _l("Disk space"),
        ),
        Meter(
            "database_disk",
            "panel_database_size_bytes",
            Kind.GAUGE,
            ResourceType.DATABASE,
            "B·h",
            _l("Database space"),
        ),
    )
}
