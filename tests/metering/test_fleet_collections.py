"""The fleet page tells the truth about the collections: no claim of complete series while
collections fail or none ran, and the reason of the latest failure."""

from datetime import timedelta

from panel.core.models import utcnow
from panel.extensions import db
from panel.metering.models import CollectionRun, RunStatus

COMPLETE_CLAIM = "Every series was complete."


def add_run(status: str, error: str = "", age: timedelta = timedelta(hours=1)) -> None:
    moment = utcnow() - age
    db.session.add(
        CollectionRun(
            started_at=moment, period_start=moment, period_end=moment, status=status, error=error
        )
    )
    db.session.commit()


def fleet_page(login_as) -> str:
    client, _ = login_as("admin")
    return client.get("/admin/usage").get_data(as_text=True)


def test_failing_collections_are_shown_with_their_reason_and_no_completeness_claimed(login_as):
    add_run(RunStatus.FAILED, "Prometheus at http://127.0.0.1:9 did not answer", timedelta(hours=2))
    add_run(RunStatus.FAILED, "Prometheus at http://127.0.0.1:9 did not answer")
    page = fleet_page(login_as)
    assert COMPLETE_CLAIM not in page
    assert "The latest collection failed: Prometheus at http://127.0.0.1:9 did not answer" in page
    assert "what the failed collections missed is not in the ledger" in page


def test_an_earlier_failure_is_still_reported_after_a_good_run(login_as):
    add_run(RunStatus.FAILED, "refused", timedelta(days=2))
    add_run(RunStatus.COMPLETE)
    page = fleet_page(login_as)
    assert COMPLETE_CLAIM not in page
    assert "1 of 2 collections in these 7 days failed" in page and "refused" in page


def test_without_any_collection_nothing_is_claimed(login_as):
    page = fleet_page(login_as)
    assert COMPLETE_CLAIM not in page
    assert "No collection ran in these 7 days" in page


def test_complete_collections_claim_completeness(login_as):
    add_run(RunStatus.COMPLETE)
    page = fleet_page(login_as)
    assert COMPLETE_CLAIM in page and 'id="collection-failing"' not in page
