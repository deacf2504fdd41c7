"""Security headers on every answer of every route (pages, redirects, errors, the API, static
files, /healthz, /metrics), anonymous and as an admin; HSTS over HTTPS only; and no template
that a Content-Security-Policy without 'unsafe-inline' would break."""

import re
from collections import Counter
from pathlib import Path

import pytest
from routes_support import all_rules, rule_methods, rule_urls

from panel.accounts.operations import create_api_token
from panel.core.audit import acting

TEMPLATES = Path(__file__).resolve().parents[2] / "panel" / "templates"
# Rendered into a PDF by weasyprint, never sent to a browser.
NOT_SERVED = {"billing/invoice_pdf.html", "governance/minutes.html"}
FIXED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
HSTS = "max-age=31536000"


def directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name.lower(): values for name, *values in parts}


def problems(response, https: bool) -> list[str]:
    """What is wrong with the answer's security headers."""
    found = [
        f"{name}: {response.headers.get(name)!r}"
        for name, value in FIXED.items()
        if response.headers.get(name) != value
    ]
    policy = directives(response.headers.get("Content-Security-Policy", ""))
    wanted = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    found += [
        f"CSP {name}: {policy.get(name)}"
        for name, value in wanted.items()
        if policy.get(name) != value
    ]
    unsafe = [value for values in policy.values() for value in values if "unsafe" in value]
    if unsafe:
        found.append(f"CSP allows {unsafe}")
    hsts = response.headers.get("Strict-Transport-Security")
    if hsts != (HSTS if https else None):
        found.append(f"Strict-Transport-Security: {hsts!r}")
    return found


@pytest.fixture
def clients(app, make_user, make_member, login_as):
    """A fresh client per request (a POST may log out or switch the language): anonymous, or
    an admin with a session and a bearer token (the API takes only the token); and the values
    of real objects for the URLs."""
    admin = make_user("admin")
    member = make_member()
    with acting("cli", admin):
        token, clear = create_api_token(admin, "headers")

    def anonymous():
        return app.test_client()

    def as_admin():
        client, _ = login_as(admin)
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {clear}"
        return client

    values = {"member_id": member.id, "token_id": token.id}
    return {"anonymous": anonymous, "admin": as_admin}, values


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_answer_of_every_route_has_the_security_headers(app, clients, scheme):
    makers, values = clients
    https = scheme == "https"
    offenders: list[str] = []
    statuses: Counter = Counter()
    requested: set[str] = set()
    for who, make_client in makers.items():
        for rule in all_rules(app):
            for url in rule_urls(rule, values):
                for method in rule_methods(rule):
                    response = make_client().open(
                        url, method=method, base_url=f"{scheme}://panel.test"
                    )
                    statuses[response.status_code // 100] += 1
                    requested.add(rule.endpoint)
                    offenders += [
                        f"{who} {method} {url} {response.status_code}: {problem}"
                        for problem in problems(response, https)
                    ]
    assert not offenders, "\n".join(offenders)
    assert requested == {rule.endpoint for rule in app.url_map.iter_rules()}
    # Successes, redirects and refusals were all among the answers checked.
    assert statuses[2] and statuses[3] and statuses[4], statuses


def test_static_files_health_and_metrics_carry_them_too(client):
    for path in ("/static/panel.css", "/static/job.js", "/healthz", "/metrics"):
        response = client.get(path, base_url="https://panel.test")
        assert response.status_code == 200, path
        assert problems(response, https=True) == [], path


@pytest.mark.parametrize(("proxies", "secure"), [(0, False), (1, True)])
def test_hsts_follows_the_proxy_only_when_it_is_trusted(
    make_app, scratch_database_url, proxies, secure
):
    """Behind nginx (PANEL_PROXY_COUNT=1) the proxy's X-Forwarded-Proto says whether the
    browser used HTTPS; without a trusted proxy anybody could send that header."""
    app = make_app(scratch_database_url, PROXY_COUNT=proxies)

    response = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 200
    assert problems(response, https=secure) == []


@pytest.mark.parametrize(
    "template",
    sorted(
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if str(path.relative_to(TEMPLATES)) not in NOT_SERVED
    ),
)
def test_no_template_needs_inline_script_or_style(template):
    """What the policy blocks: inline <script> and <style>, style and on* attributes, and
    javascript: URLs."""
    text = (TEMPLATES / template).read_text()
    tags = re.findall(r"<[a-zA-Z][^>]*>", text)
    blocked = (
        [tag for tag in tags if tag.startswith("<script") and "src=" not in tag]
        + [tag for tag in tags if tag.startswith("<style")]
        + [tag for tag in tags if re.search(r"\s(style|on[a-z]+)\s*=", tag)]
        + re.findall(r"javascript:", text, flags=re.IGNORECASE)
    )
    assert not blocked, f"{template}: {blocked}"
