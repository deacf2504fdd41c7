"""OpenAPI links: the answer that makes a resource names the operations that take its id, so
that a client (and schemathesis' stateful run) can follow from one to the other."""

from collections.abc import Iterable


def _name(method: str, path: str) -> str:
    """`GET /api/v1/webspaces/{webspace_id}/domains` -> `get_webspaces_webspace_id_domains`."""
    parts = path.removeprefix("/api/v1/").split("/")
    return "_".join([method.lower(), *(part.strip("{}") for part in parts)])


def _reference(method: str, path: str) -> str:
    """A JSON pointer to the operation within this document."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"#/paths/{escaped}/{method.lower()}"


def links(blp, status: int, targets: Iterable[str], fields: dict[str, str]):
    """Document the operations the answer with STATUS leads to. Each target is
    "METHOD /api/v1/path"; FIELDS name the path parameter each field of the answer's body
    fills ({"id": "webspace_id"})."""
    documented = {}
    for target in targets:
        method, path = target.split()
        documented[_name(method, path)] = {
            "operationRef": _reference(method, path),
            "parameters": {
                parameter: f"$response.body#/{field}"
                for field, parameter in fields.items()
                if "{" + parameter + "}" in path
            },
        }
    return blp.doc(responses={status: {"links": documented}})
