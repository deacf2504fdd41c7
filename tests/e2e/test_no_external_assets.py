"""No page loads or links anything from another site: every GET page of the app, fetched as
each kind of user, names only its own address in src, href, action and the like."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

STATIC = Path(__file__).resolve().parents[2] / "panel" / "static"
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "data", "background"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)
# Pages a person uses every day; the test fails if any of them is not really checked.
MUST_SEE = {
    ("anonymous", "accounts.login"),
    ("anonymous", "accounts.forgot_password"),
    ("admin", "core.index"),
    ("admin", "coop.members"),
    ("admin", "coop.member"),
    ("admin", "coop.member_new"),
    ("admin", "management.users"),
    ("admin", "accounts.account"),
    ("admin", "core.audit"),
    ("member", "core.index"),
    ("member", "coop.membership"),
    ("member", "accounts.account"),
    ("member", "core.audit"),
}


class LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if not value:
                continue
            if name in URL_ATTRIBUTES:
                self.urls.extend(
                    part.strip().split()[0]
                    for part in (value.split(",") if name == "srcset" else [value])
                    if part.strip()
                )
            elif name == "style":
                self.urls.extend(css_urls(value))

    def handle_data(self, data):
        # Inline <style> blocks: url(...) and @import.
        if self.lasttag == "style":
            self.urls.extend(css_urls(data))


def css_urls(css: str) -> list[str]:
    return [found for pair in CSS_URL.findall(css) for found in pair if found]


def foreign(url: str, own_host: str) -> bool:
    """True for a URL that would reach another site (absolute or scheme-relative)."""
    parts = urlsplit(url.strip())
    if parts.scheme in ("", "data", "mailto", "tel", "javascript") and not url.startswith("//"):
        return bool(parts.netloc)
    return parts.netloc.split(":")[0] != own_host


def urls_in(html: str) -> list[str]:
    collector = LinkCollector()
    collector.feed(html)
    return collector.urls


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/static/panel.css", False),
        ("?page=2", False),
        ("#content", False),
        ("http://panel.test/admin/members", False),
        ("https://cdn.example.net/x.js", True),
        ("//fonts.example.com/css", True),
        ("HTTP://evil.example/", True),
    ],
)
def test_foreign_url_check(url, expected):
    assert foreign(url, "panel.test") is expected


def test_collector_sees_every_kind_of_reference():
    html = (
        '<link rel="stylesheet" href="https://a.example/x.css"><script src="//b.example/y.js">'
        '</script><img srcset="/s.png 1x, https://c.example/z.png 2x">'
        '<div style="background: url(https://d.example/bg.png)"></div>'
        "<style>@import 'https://e.example/f.css';</style>"
        '<form action="https://f.example/post"><button formaction="/ok"></button></form>'
    )
    found = [url for url in urls_in(html) if foreign(url, "panel.test")]
    assert found == [
        "https://a.example/x.css",
        "//b.example/y.js",
        "https://c.example/z.png",
        "https://d.example/bg.png",
        "https://e.example/f.css",
        "https://f.example/post",
    ]


def test_stylesheets_load_nothing_from_elsewhere():
    sheets = list(STATIC.rglob("*.css"))
    assert sheets, "no stylesheet found"
    for sheet in sheets:
        for url in css_urls(sheet.read_text()):
            assert not foreign(url, "panel.test"), f"{sheet.name} loads {url}"


def test_scripts_fetch_nothing_from_elsewhere():
    for script in STATIC.rglob("*.js"):
        absolute = re.findall(r"""["'`]((?:https?:)?//[^"'`\s]+)""", script.read_text())
        assert not absolute, f"{script.name} names {absolute}"


@pytest.fixture
def sample(app, make_member, make_user):
    """A little of everything, so that pages with an id in their address show real data."""
    from panel.accounts.operations import create_api_token
    from panel.coop.operations import record_share_transaction
    from panel.core.audit import acting

    member = make_member(name="Ada Lovelace")
    with acting("cli"):
        transaction = record_share_transaction(member, "subscription", 2, "2026-01-05", "start")
    admin = make_user("admin")
    with acting("cli", admin):
        token, _ = create_api_token(admin, "ci")
    return {
        "member": member.users[0],
        "admin": admin,
        "reseller": make_user("reseller"),
        "ids": {"member_id": member.id, "token_id": token.id, "transaction_id": transaction.id},
    }


def get_pages(app):
    """Every GET route except static files, with the path parameters it needs."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            yield rule


def test_no_page_refers_to_another_site(app, sample, login_as):
    own_host = app.config["SERVER_NAME"]
    adapter = app.url_map.bind(own_host)
    checked: set[tuple[str, str]] = set()
    offenders: list[str] = []
    for who in ("anonymous", "member", "reseller", "admin"):
        client = app.test_client() if who == "anonymous" else login_as(sample[who])[0]
        for rule in get_pages(app):
            values = {
                name: sample["ids"].get(name, 1) if name.endswith("_id") else "x"
                for name in rule.arguments
            }
            path = adapter.build(rule.endpoint, values)
            response = client.get(path)
            if response.mimetype != "text/html":
                continue
            if response.status_code == 200:
                checked.add((who, rule.endpoint))
            offenders += [
                f"{who} {path}: {url}"
                for url in urls_in(response.get_data(as_text=True))
                if foreign(url, own_host)
            ]
    assert not offenders, offenders
    assert checked >= MUST_SEE, f"pages not reached: {sorted(MUST_SEE - checked)}"
