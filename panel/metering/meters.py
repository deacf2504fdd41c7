"""What the ledger measures: each meter is an agent's or node_exporter's metric read from
Prometheus, or (server hours) the time a managed server held its host. Video's participant
time is the agent on the BBBLB host's reading of BBBLB's meeting statistics."""

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from panel.metering.models import ResourceType


class Kind(StrEnum):
    # Usage is the counter's increase over the period.
    COUNTER = "counter"
    # Usage is the reading integrated over time (value × hours).
    GAUGE = "gauge"
    # Usage is the time the resource was allocated in the period, from the panel's own rows.
    ALLOCATION = "allocation"


@dataclass(frozen=True)
class Meter:
    name: str
    series: str
    kind: Kind
    resource_type: ResourceType
    unit: str
    label: object
    # Set when SERIES is a PromQL expression (no stored series holds the usage): Prometheus
    # evaluates it every STEP seconds over the period. A counter read so loses, when it resets,
    # what it counted after the last evaluation before the reset.
    step: int | None = None

    @property
    def resource_labels(self) -> tuple[str, ...]:
        """The series labels that name the resource."""
        if self.resource_type == ResourceType.DATABASE:
            return ("engine", "database")
        if self.resource_type == ResourceType.SERVER:
            # The host label the panel's scrape targets give every series of a host.
            return ("host",)
        if self.resource_type == ResourceType.VIDEO_TENANT:
            return ("tenant",)
        return ("webspace",)


# node_exporter's scrape interval (monitoring/prometheus.yml): each evaluation sees a new scrape.
NODE_STEP = 15


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
        Meter(
            "server_hours",
            "",
            Kind.ALLOCATION,
            ResourceType.SERVER,
            "s",
            _l("Server time"),
        ),
        Meter(
            "server_cpu",
            'sum by (host) (node_cpu_seconds_total{mode!~"idle|iowait|steal"})',
            Kind.COUNTER,
            ResourceType.SERVER,
            "s",
            _l("Server CPU time"),
            NODE_STEP,
        ),
        Meter(
            "server_memory",
            "sum by (host) (node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes)",
            Kind.GAUGE,
            ResourceType.SERVER,
            "B·h",
            _l("Server memory"),
            NODE_STEP,
        ),
        Meter(
            "server_disk",
            'sum by (host) (node_filesystem_size_bytes{mountpoint="/"}'
            ' - node_filesystem_avail_bytes{mountpoint="/"})',
            Kind.GAUGE,
            ResourceType.SERVER,
            "B·h",
            _l("Server disk space"),
            NODE_STEP,
        ),
        Meter(
            "video_participants",
            "panel_video_participant_seconds_total",
            Kind.COUNTER,
            ResourceType.VIDEO_TENANT,
            "s",
            _l("Video participant time"),
        ),
    )
}
# What the usage pages show per webspace, per managed server, and per video tenant.
WEBSPACE_METERS = {
    name: meter
    for name, meter in METERS.items()
    if meter.resource_type in (ResourceType.WEBSPACE, ResourceType.DATABASE)
}
VIDEO_METERS = {
    name: meter
    for name, meter in METERS.items()
    if meter.resource_type == ResourceType.VIDEO_TENANT
}
SERVER_METERS = {
    name: meter for name, meter in METERS.items() if meter.resource_type == ResourceType.SERVER
}
