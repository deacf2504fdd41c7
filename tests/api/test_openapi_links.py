"""The OpenAPI document links each answer that makes a resource to the operations that take its
id, so that clients (and the stateful fuzz run) can follow them; every link leads somewhere."""

import re

METHODS = {"get", "post", "put", "patch", "delete"}
PARAMETER = re.compile(r"\{(\w+)\}")


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def all_links(document):
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            for name, link in (response.get("links") or {}).items():
                yield f"{method.upper()} {path} {status} {name}", link


def target(document, link):
    pointer = link["operationRef"].removeprefix("#/paths/")
    path, method = pointer.rsplit("/", 1)
    path = path.replace("~1", "/").replace("~0", "~")
    return path, method, document["paths"].get(path, {}).get(method)


def test_every_link_names_an_operation_and_fills_its_path(client):
    document = client.get("/api/v1/openapi.json").json
    links = list(all_links(document))

    assert len(links) > 40
    for label, link in links:
        path, _, operation = target(document, link)
        assert operation is not None, label
        assert set(link["parameters"]) == set(PARAMETER.findall(path)), label
        for expression in link["parameters"].values():
            assert re.fullmatch(r"\$response\.body#/[\w/]+", expression), label


def test_every_operation_on_an_id_is_reached_by_a_link(client):
    """A new operation that takes an id gets a link from the answer that makes that resource;
    a deprecated one is reached by its successor's (no link leads to it)."""
    document = client.get("/api/v1/openapi.json").json
    linked = {target(document, link)[:2] for _, link in all_links(document)}

    unreached = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(document)
        if PARAMETER.search(path)
        and (path, method) not in linked
        and not operation.get("deprecated")
    ]
    deprecated_linked = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(document)
        if operation.get("deprecated") and (path, method) in linked
    ]

    assert unreached == []
    assert deprecated_linked == []
