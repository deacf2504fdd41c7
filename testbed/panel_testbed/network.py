"""The testbed's network: one bridge on the machine, one namespace and veth pair per host.

A bridge (rather than a routed /31 per host) puts every host and the machine on one link, so hosts
reach each other and the machine without the machine ever forwarding a packet. Hosts get no
default route, but they hold CAP_NET_ADMIN (their firewalls need it), so a host could add one:
the machine therefore forwards nothing that arrives on the bridge, whatever it does for its other
interfaces. Linux decides IPv4 forwarding by the interface a packet arrives on (the bridge's
`forwarding` is 0); IPv6 forwarding is one switch for the whole machine, so the bridge takes no
IPv6 at all (`disable_ipv6`). Both are set again at every `up`, since switching forwarding on for
the whole machine (net.ipv4.ip_forward=1) also switches it on for every interface. IPv6 stays
enabled on the hosts (nginx's default site listens on [::]) but no interface generates a
link-local address, so 198.18.<lane>.0/24 (inside 198.18.0.0/15, reserved for network tests)
holds the only addresses.
"""

import ipaddress
import json
import subprocess
from pathlib import Path

from panel_testbed import LANE, PREFIX, TestbedError

BRIDGE = f"{PREFIX}-br"
SUBNET = ipaddress.ip_network(f"198.18.{LANE}.0/24")
GATEWAY = SUBNET.network_address + 1
FIRST_HOST = 10
MAX_HOSTS = 32
NETNS_DIR = Path("/run/netns")
GUEST_LINK = "eth0"


def ip(*args: str) -> str:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise TestbedError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def host_address(number: int) -> ipaddress.IPv4Address:
    return SUBNET.network_address + FIRST_HOST + number


# The bridge's switches under /proc/sys/net, and their values: see the module's docstring.
BRIDGE_SYSCTLS = {
    f"ipv4/conf/{BRIDGE}/forwarding": "0",
    f"ipv6/conf/{BRIDGE}/forwarding": "0",
    f"ipv6/conf/{BRIDGE}/disable_ipv6": "1",
}
SYSCTL_DIR = Path("/proc/sys/net")


def ensure_bridge() -> None:
    if BRIDGE not in links():
        _add_bridge()
    for name, value in BRIDGE_SYSCTLS.items():
        (SYSCTL_DIR / name).write_text(f"{value}\n")


def _add_bridge() -> None:
    routes = json.loads(ip("-j", "route", "show", "to", "match", str(GATEWAY)) or "[]")
    foreign = [route for route in routes if route.get("dst") != "default"]
    if foreign:
        raise TestbedError(f"{SUBNET} is already routed on this machine: {foreign}")
    ip("link", "add", BRIDGE, "type", "bridge")
    ip("link", "set", BRIDGE, "addrgenmode", "none")
    ip("address", "add", f"{GATEWAY}/{SUBNET.prefixlen}", "dev", BRIDGE)
    ip("link", "set", BRIDGE, "up")


def add_host(name: str, address: ipaddress.IPv4Address) -> None:
    """A namespace NAME holding GUEST_LINK, paired with link NAME on the bridge."""
    ip("netns", "add", name)
    ip("link", "add", name, "type", "veth", "peer", "name", GUEST_LINK, "netns", name)
    ip("link", "set", name, "addrgenmode", "none")
    ip("link", "set", name, "master", BRIDGE, "up")
    ip("-n", name, "link", "set", GUEST_LINK, "addrgenmode", "none")
    ip("-n", name, "address", "add", f"{address}/{SUBNET.prefixlen}", "dev", GUEST_LINK)
    ip("-n", name, "link", "set", GUEST_LINK, "up")
    ip("-n", name, "link", "set", "lo", "up")


def netns_path(name: str) -> Path:
    return NETNS_DIR / name


def links() -> list[str]:
    return [link["ifname"] for link in json.loads(ip("-j", "link", "show") or "[]")]


def namespaces() -> list[str]:
    return [entry["name"] for entry in json.loads(ip("-j", "netns", "list") or "[]")]


def leftovers() -> tuple[list[str], list[str]]:
    """The testbed's namespaces and links, by prefix."""
    return (
        [name for name in namespaces() if name.startswith(PREFIX)],
        [name for name in links() if name.startswith(PREFIX)],
    )


def remove_all() -> None:
    """Every testbed link (the veth's far end goes with it), namespace and the bridge."""
    names, machine_links = leftovers()
    for link in sorted(machine_links, key=lambda link: link == BRIDGE):
        if link in links():
            ip("link", "delete", link)
    for name in names:
        ip("netns", "delete", name)
