"""Malformed input gets a clear 4xx and changes nothing, never a 500: numbers that are no
numbers or beyond the database's range (in paths, query strings and form choices), NUL
characters, JSON nested thousands deep or not an object, bodies of the wrong type, and a login
of a member role that has no member record.

The suite's app propagates exceptions (TESTING), so a request that would be a 500 in production
fails these tests with its exception."""

import pytest
from routes_support import all_rules, id_arguments, rule_urls
from sqlalchemy import func, select

from panel.accounts.operations import create_user
from panel.core.audit import acting
from panel.core.models import Base
from panel.extensions import db
from panel.provisioning.models import JobStatus
from panel.provisioning.operations import finish_job
from panel.webspaces import operations as webspaces

PASSWORD = "correct horse battery staple"
HUGE = "9" * 30
# Ids no row can have: past PostgreSQL's integer, SQLite's and any 64-bit integer.
HUGE_IDS = (2**31, 2**63, 2**64, 10**30)


def table_counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        name: db.session.scalar(select(func.count()).select_from(table))
        for name, table in Base.metadata.tables.items()
    }


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    assert set(response.json["error"]) == {"code", "message", "fields"}
    assert response.json["error"]["message"]
    return response.json["error"]


@pytest.fixture
def world(make_member, make_host):
    """A member with a webspace (its job finished), so that ids in paths name real rows."""
    make_host("web1")
    member = make_member()
    with acting("cli"):
        webspace, job = webspaces.create_webspace(member)
        finish_job(job, JobStatus.SUCCESSFUL, stats={"data": {"webspace": {"uid": 2000}}})
        db.session.commit()
    return {"member": member, "webspace": webspace, "job": job}


@pytest.fixture
def admin_clients(make_user, login_as, api_as):
    """An admin's browser session and API client."""
    admin = make_user("admin")
    browser, _ = login_as(admin)
    api, _ = api_as(admin)
    return browser, api


# Ids in paths.


def id_rules(app):
    return [rule for rule in all_rules(app) if id_arguments(rule)]


def test_ids_beyond_any_row_in_paths_are_404(app, admin_clients):
    browser, api = admin_clients
    before = table_counts()
    checked = 0
    for rule in id_rules(app):
        client = api if rule.rule.startswith("/api/") else browser
        for huge in HUGE_IDS:
            for url in rule_urls(rule, dict.fromkeys(id_arguments(rule), huge)):
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    response = client.open(url, method=method)
                    assert response.status_code == 404, (method, url, response.status_code)
                    checked += 1
    assert checked > 100
    assert table_counts() == before


@pytest.mark.parametrize("path", ["/webspaces/abc", "/jobs/1e3", "/api/v1/members/-1"])
def test_ids_that_are_no_numbers_are_404(admin_clients, path):
    browser, api = admin_clients
    client = api if path.startswith("/api/") else browser
    assert client.get(path).status_code == 404


# Query strings: the API refuses what it cannot use (422); pages leave unusable filters out.


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("/jobs/{job}/events.json", "after=" + HUGE, 422),
        ("/jobs/{job}/events.json", "after=abc", 422),
        ("/jobs/{job}/events.json", "after=²", 422),
        ("/jobs/{job}/events.json", "after=-1", 422),
        ("/jobs/{job}/events.json", "after=0", 200),
        ("/jobs/{job}/events.json", "after=2147483647", 200),
        ("/jobs", "requested_by=" + HUGE, 200),
        ("/jobs", "requested_by=²", 200),
        ("/audit", "page=abc", 200),
        ("/audit", "page=" + HUGE, 200),
        ("/audit", "member_id=" + HUGE, 200),
        ("/admin/members", "page=" + HUGE, 200),
        ("/webspaces/{webspace}/usage", "range=" + HUGE, 422),
        ("/api/v1/members", "page=abc", 422),
        ("/api/v1/members", "page_size=" + HUGE, 422),
        ("/api/v1/members", "page=" + HUGE, 200),
        ("/api/v1/jobs/{job}", "after=" + HUGE, 422),
        ("/api/v1/jobs", "requested_by=" + HUGE, 422),
        ("/api/v1/webspaces", "member_id=" + HUGE, 422),
        ("/api/v1/audit", "member_id=²", 422),
        ("/api/v1/usage", "webspace=" + HUGE, 422),
        ("/api/v1/usage", "customer=" + HUGE, 422),
        ("/api/v1/usage", "from=9999-99-99", 422),
    ],
)
def test_numbers_in_query_strings(admin_clients, world, path, query, status):
    browser, api = admin_clients
    path = path.format(job=world["job"].id, webspace=world["webspace"].id)
    client = api if path.startswith("/api/") else browser

    response = client.get(f"{path}?{query}")

    assert response.status_code == status, response.get_data(as_text=True)[:500]
    if status == 422 and path.endswith(".json"):
        assert "after" in error_of(response, 422)["fields"]


# NUL characters: no stored text holds one, and PostgreSQL cannot even compare with one. A page
# leaves such a filter out, a form says the field is wrong, a login simply fails.


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/admin/members?q=a%00b", "Member "),
        ("/jobs?status=a%00b", "Jobs"),
        ("/jobs?action=a%00b", "Jobs"),
        ("/jobs?host=a%00b", "Jobs"),
        ("/audit?action=a%00b", "Audit"),
        ("/webspaces?state=a%00b", "Webspaces"),
    ],
)
def test_page_filters_with_nul_characters_are_left_out(admin_clients, world, path, shown):
    browser, _ = admin_clients

    response = browser.get(path)

    assert response.status_code == 200
    assert shown in response.text


def test_a_login_with_a_nul_character_fails_like_a_wrong_password(client, make_member):
    member = make_member()
    email = member.users[0].email

    response = client.post("/login", data={"email": email + "\x00", "password": PASSWORD})

    assert response.status_code == 200
    assert "Email or password is not right." in response.text
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "path",
    ["/api/v1/jobs?status=a%00b", "/api/v1/jobs?host=a%00b", "/api/v1/audit?action=a%00b"],
)
def test_api_filters_with_nul_characters_are_422(admin_clients, path):
    _, api = admin_clients

    error_of(api.get(path), 422)


def test_nul_characters_in_json_are_refused_by_the_fields(admin_clients, world):
    _, api = admin_clients
    before = table_counts()

    for path, body in [
        ("/api/v1/account/tokens", {"name": "a\x00b"}),
        ("/api/v1/members", {"name": "a\x00b", "email": "x@example.org", "prefix": "nul"}),
        (f"/api/v1/webspaces/{world['webspace'].id}/domains", {"name": "a\x00b.example"}),
    ]:
        assert api.post(path, json=body).status_code == 422, path
    assert table_counts() == before


# JSON bodies.


def json_operations(api) -> list[tuple[str, str]]:
    """(method, URL) of every API operation that reads a JSON body, from the OpenAPI document."""
    document = api.get("/api/v1/openapi.json").json
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                url = path
                for parameter in operation.get("parameters", []) + operations.get("parameters", []):
                    url = url.replace("{" + parameter["name"] + "}", "1")
                found.append((method.upper(), url))
    assert len(found) > 20
    return found


DEEP = [
    "[" * 5000 + "]" * 5000,
    '{"a": ' * 5000 + "1" + "}" * 5000,
    '{"name": ' + "[" * 10_000 + "]" * 10_000 + "}",
]


def test_json_nested_thousands_deep_is_400(app, admin_clients):
    _, api = admin_clients
    before = table_counts()
    for method, url in json_operations(api):
        for body in DEEP:
            response = api.open(url, method=method, data=body, content_type="application/json")
            assert "deeper" in error_of(response, 400)["message"], (method, url)
    assert table_counts() == before


def test_json_nested_as_deep_as_bodies_go_is_parsed(admin_clients):
    """Brackets inside strings do not count, and the limit leaves room for every real body."""
    _, api = admin_clients

    response = api.post("/api/v1/account/tokens", json={"name": "[" * 100})

    assert response.status_code == 422
    assert "name" in response.json["error"]["fields"]


@pytest.mark.parametrize("body", ["[]", "1", '"text"', "null", "true", "[{}]"])
def test_json_that_is_not_an_object_is_refused(app, admin_clients, body):
    _, api = admin_clients
    before = table_counts()
    for method, url in json_operations(api):
        response = api.open(url, method=method, data=body, content_type="application/json")
        assert response.status_code in (400, 404, 422), (method, url, response.status_code)
        error_of(response, response.status_code)
    assert table_counts() == before


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", '{"name": "x"}'),
        ("application/x-www-form-urlencoded", "name=x"),
        ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="name"'),
        ("application/xml", "<name>x</name>"),
        ("application/json", b"\xff\xfe{}"),
    ],
)
def test_bodies_of_the_wrong_type_are_refused(app, admin_clients, content_type, body):
    _, api = admin_clients
    before = table_counts()
    for method, url in json_operations(api):
        response = api.open(url, method=method, data=body, content_type=content_type)
        assert response.status_code in (400, 415, 422), (method, url, response.status_code)
        error_of(response, response.status_code)
    assert table_counts() == before


# Choices in forms that name an id.


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/webspaces", {"member_id": HUGE, "host": ""}),
        ("/webspaces", {"member_id": "²", "host": ""}),
        ("/admin/direct-debits", {"period": HUGE, "collection_date": "2030-01-02"}),
        ("/admin/members/{member}/payment/mandates", {"bank_account": HUGE}),
    ],
)
def test_form_choices_beyond_any_id_are_form_errors(admin_clients, world, path, data):
    browser, _ = admin_clients
    before = table_counts()

    response = browser.post(path.format(member=world["member"].id), data=data)

    assert response.status_code == 422
    assert table_counts() == before


# A login of a member role without a member record (an admin can make one).


@pytest.fixture(params=["member", "reseller"])
def memberless(request, login_as, api_as):
    with acting("cli"):
        user = create_user(f"alone-{request.param}@example.org", request.param, password=PASSWORD)
    browser, _ = login_as(user)
    api, _ = api_as(user)
    return browser, api


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/", None, 200),
        ("GET", "/membership", None, 404),
        ("POST", "/membership", {"name": "x"}, 404),
        ("GET", "/billing/payment", None, 404),
        ("POST", "/billing/payment/accounts", {"holder": "x"}, 404),
        ("GET", "/webspaces", None, 200),
        ("POST", "/webspaces", {"name": ""}, 422),
        ("POST", "/webspaces", {"name": "abc00"}, 422),
        ("GET", "/usage", None, 200),
        ("GET", "/invoices", None, 200),
        ("GET", "/transparency", None, 200),
        ("GET", "/audit", None, 200),
        ("GET", "/jobs", None, 200),
        ("GET", "/account", None, 200),
        ("GET", "/api/v1/webspaces", None, 200),
        ("POST", "/api/v1/webspaces", {}, 403),
        ("POST", "/api/v1/webspaces", {"name": "abc00"}, 403),
        ("GET", "/api/v1/members", None, 200),
        ("GET", "/api/v1/invoices", None, 200),
        ("GET", "/api/v1/usage", None, 200),
        ("GET", "/api/v1/audit", None, 200),
        ("GET", "/api/v1/jobs", None, 200),
        ("GET", "/api/v1/account", None, 200),
    ],
)
def test_a_member_login_without_member_record(
    memberless, web_host_for_all, method, path, body, status
):
    browser, api = memberless
    before = table_counts()

    if path.startswith("/api/"):
        response = api.open(path, method=method, json=body)
    else:
        response = browser.open(path, method=method, data=body)

    assert response.status_code == status, response.get_data(as_text=True)[:500]
    if method == "POST" and "webspaces" in path:
        assert "belongs to no member" in response.get_data(as_text=True)
    assert table_counts() == before


@pytest.fixture
def web_host_for_all(make_host):
    """A host with room, so that a new webspace would find one."""
    return make_host("web1")
