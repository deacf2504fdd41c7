"""Irreversible actions of the office and of one's own account ask first, naming what they act
on (the webspace's, billing's, video's and servers' pages are tested with their features)."""

import html
import re

from confirmations import confirmation

from panel.accounts.operations import create_api_token
from panel.core.audit import acting
from panel.provisioning import operations as provisioning


def test_revoking_a_token_asks_first(login_as):
    client, user = login_as("member")
    with acting("web", user):
        token, _clear = create_api_token(user, "deploy script")
    page = client.get("/account").text
    assert confirmation(page, f"/account/tokens/{token.id}/revoke") == (
        "Revoke the token deploy script? Programs using it are refused from now on."
    )


def test_retiring_a_host_asks_first(login_as, make_host):
    host = make_host("web7")
    client, _ = login_as("admin")
    page = client.get(f"/admin/hosts/{host.id}").text
    assert confirmation(page, f"/admin/hosts/{host.id}/retire") == (
        "Retire the host web7? Nothing runs on it for the panel any more."
    )
    assert confirmation(page, f"/admin/hosts/{host.id}/onboard") is None


def test_cancelling_a_job_asks_first(login_as, make_host):
    make_host("web1")
    with acting("cli"):
        job = provisioning.create_job("ping", ["web1"])
    client, _ = login_as("admin")
    page = client.get(f"/jobs/{job.id}").text
    assert confirmation(page, f"/jobs/{job.id}/cancel") == (
        f"Cancel job #{job.id}? The playbook stops where it is."
    )


def test_deleting_an_account_asks_first(login_as, make_user):
    reseller = make_user("reseller")
    customer = make_user("customer", reseller=reseller)
    client, _ = login_as(reseller)
    page = client.get(f"/users/{customer.id}").text
    assert confirmation(page, f"/users/{customer.id}/delete") == (
        f"Delete the account {customer.email}? The login and its API tokens are gone for good."
    )


def test_ending_a_membership_asks_first(login_as, make_member):
    member = make_member()
    client, _ = login_as("admin")
    page = client.get(f"/admin/members/{member.id}").text
    change = "cancel" if member.status == "active" else "end"
    question = {
        "cancel": f"Record the cancellation of {member.name}’s membership?",
        "end": f"End the membership of {member.name}?",
    }[change]
    button = re.search(
        rf'<button [^>]*formaction="/admin/members/{member.id}/{change}"[^>]*>', page
    )
    assert button and f'data-confirm="{html.escape(question)}"' in button.group(0)
    admit = re.search(rf'<button [^>]*formaction="/admin/members/{member.id}/admit"[^>]*>', page)
    assert admit is None or "data-confirm" not in admit.group(0)
