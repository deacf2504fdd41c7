"""axe-core finds no serious or critical accessibility violation on the main pages of each
role, in the light and the dark theme. axe comes from its npm package (`make test-packages`
puts it into .node/), injected by the test into a context that bypasses the panel's CSP: the
panel itself never serves it."""

from pathlib import Path

import pytest
from journeys_support import DESKTOP, found_cooperative, log_in

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[2] / ".node/node_modules/axe-core/axe.min.js"
SEVERE = ("serious", "critical")
PUBLIC_PAGES = ("/login", "/password/forgot")


@pytest.fixture(scope="module")
def cooperative(live_server):
    return found_cooperative(live_server)


@pytest.fixture(scope="module")
def sessions(browser, live_server, cooperative):
    """One login per role: an admin's second factor takes each code only once."""
    return {
        role: log_in(browser, live_server, cooperative, role)
        for role in ("admin", "member", "reseller")
    }


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{item['id']} ({item['impact']}): {item['help']} at "
        + ", ".join(" ".join(node["target"]) for node in item["nodes"][:5])
        for item in found
        if item["impact"] in SEVERE
    ]


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("role", ["anonymous", "admin", "member", "reseller"])
def test_no_serious_violations(browser, live_server, cooperative, sessions, role, theme):
    assert AXE.is_file(), f"no axe-core at {AXE}: run `make test-packages`"
    state = sessions.get(role)
    context = browser.new_context(
        viewport=DESKTOP,
        locale="de-DE" if theme == "dark" else "en-US",
        color_scheme=theme,
        bypass_csp=True,
        storage_state=state,
    )
    page = context.new_page()
    found = {}
    try:
        for path in PUBLIC_PAGES if role == "anonymous" else cooperative.pages(role):
            page.goto(live_server.url + path)
            found[path] = violations(page)
    finally:
        context.close()
    assert not any(found.values()), "\n".join(
        f"{path}: {item}" for path, items in found.items() for item in items
    )
