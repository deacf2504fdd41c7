"""The tests' DNS server keeps working when another process takes its port first."""

import socket

import dns.message
import dns.query


def txt(server, name: str) -> list[str]:
    answer = dns.query.udp(
        dns.message.make_query(name, "TXT"), "127.0.0.1", port=server.port, timeout=2
    )
    return [
        string.decode() for rrset in answer.answer for record in rrset for string in record.strings
    ]


def test_a_taken_port_moves_the_server_and_the_panels_resolver(app, dns_server):
    taken = dns_server.port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        dns_server.serve({"_panel-verification.example.org": "panel-verification=abc"})
    assert dns_server.port != taken
    assert app.config["DNS_RESOLVER"] == f"127.0.0.1:{dns_server.port}"
    assert txt(dns_server, "_panel-verification.example.org") == ["panel-verification=abc"]
