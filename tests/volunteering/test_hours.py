"""Hours count once the project's organisation verifies them: a double-entry hour ledger, reversals, the
time-bank balance, the certificate and the project's volunteer summary."""
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts import roles
from portal.core.errors import DomainError, ValidationFailed
from portal.extensions import db
from portal.orgs.models import VERIFIED as ORG_VERIFIED
from portal.volunteering import hours
from portal.volunteering.models import (
    CHECKED_OUT,
    CONFIRMED,
    NO_SHOW,
    RECORDED,
    REJECTED,
    VERIFIED,
    WAITLISTED,
    HourEntry,
    HourLedgerImmutable,
    HourPosting,
    HourRecord,
    project_service_account,
    volunteer_hours_account,
)
from tests.factories.accounts import UserFactory, grant
from tests.factories.orgs import make_organisation
from tests.factories.volunteering import make_hour_record, make_shift, make_signup


@pytest.fixture
def served(opportunity, volunteer):
    """A volunteer who served yesterday's shift; 120 minutes recorded, awaiting verification."""
    shift = make_shift(opportunity, starts_in=-timedelta(days=1), hours=2)
    return make_hour_record(make_signup(shift, volunteer, CHECKED_OUT), minutes=120)


def _stranger(tree):
    stranger = UserFactory()
    grant(stranger, roles.ORG_ADMIN, make_organisation(stranger, tree["community"], status=ORG_VERIFIED))
    return stranger


def test_verifying_posts_one_entry_whose_two_postings_sum_to_zero(served, organiser, volunteer, project):
    entry = hours.verify_hours(served, organiser)
    assert served.status == VERIFIED and served.verified_by_id == organiser.id
    postings = {posting.account: posting.minutes for posting in entry.postings}
    assert postings == {volunteer_hours_account(volunteer.id): 120, project_service_account(project.id): -120}
    assert hours.time_bank_minutes(volunteer.id) == 120
    assert hours.pending_minutes(volunteer.id) == 0


def test_recorded_hours_are_pending_and_not_in_the_balance(served, volunteer):
    assert hours.time_bank_minutes(volunteer.id) == 0
    assert hours.pending_minutes(volunteer.id) == 120


def test_hours_are_verified_only_once(served, organiser):
    hours.verify_hours(served, organiser)
    with pytest.raises(DomainError):
        hours.verify_hours(served, organiser)
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == 1


def test_reversing_verified_hours_posts_a_reversal_and_keeps_the_original(served, organiser, volunteer, project):
    original = hours.verify_hours(served, organiser)
    reversal = hours.reverse_hours(served, organiser, "重复登记")
    assert served.status == REJECTED and served.note == "重复登记"
    assert reversal.reverses_entry_id == original.id and reversal.kind == "reversal"
    assert {p.account: p.minutes for p in reversal.postings} == {
        volunteer_hours_account(volunteer.id): -120, project_service_account(project.id): 120}
    assert hours.time_bank_minutes(volunteer.id) == 0
    assert db.session.scalar(select(func.count()).select_from(HourPosting)) == 4  # nothing erased
    assert hours.project_volunteer_summary(project.id)["verified_minutes"] == 0


def test_rejecting_pending_hours_posts_nothing_and_needs_a_reason(served, organiser, volunteer):
    with pytest.raises(ValidationFailed):
        hours.reject_hours(served, organiser, "  ")
    hours.reject_hours(served, organiser, "没有到场")
    assert served.status == REJECTED
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == 0
    assert hours.pending_minutes(volunteer.id) == 0


def test_ledger_rows_are_never_changed(served, organiser):
    entry = hours.verify_hours(served, organiser)
    entry.postings[0].minutes = 999
    with pytest.raises(HourLedgerImmutable), db.session.begin_nested():
        db.session.flush()


def test_the_balance_is_the_sum_of_the_ledger_across_projects(tree, served, organiser, volunteer):
    hours.verify_hours(served, organiser)
    from tests.factories.volunteering import make_opportunity, make_organiser_and_project

    other_organiser, other_project = make_organiser_and_project(tree["community"])
    shift = make_shift(make_opportunity(other_project, other_organiser), starts_in=-timedelta(days=2))
    hours.verify_hours(make_hour_record(make_signup(shift, volunteer, CHECKED_OUT), minutes=45), other_organiser)
    assert hours.time_bank_minutes(volunteer.id) == 165
    lines = hours.verified_service(volunteer.id)
    assert sorted(line.minutes for line in lines) == [45, 120]
    assert all(line.first_day is not None and line.first_day.tzinfo is not None for line in lines)


# --- who verifies, on the web ---------------------------------------------------------------------

def test_the_projects_organisation_verifies_on_the_web(client, login_as, served, organiser, volunteer, project):
    login_as(organiser)
    hours_page = f"/projects/{project.id}/volunteer/hours"
    assert volunteer.display_name in client.get(hours_page).get_data(as_text=True)
    assert client.post_form(f"/hours/{served.id}/verify", token_from=hours_page).status_code == 302
    assert db.session.get(HourRecord, served.id).status == VERIFIED
    assert hours.time_bank_minutes(volunteer.id) == 120


def test_another_organisations_member_cannot_verify_hours(client, login_as, tree, served, project, volunteer):
    login_as(_stranger(tree))
    assert client.get(f"/projects/{project.id}/volunteer/hours").status_code == 404
    for action in ("verify", "reject", "reverse"):
        response = client.post_form(f"/hours/{served.id}/{action}", {"note": "x"}, token_from="/")
        assert response.status_code == 404, action
    assert db.session.get(HourRecord, served.id).status == RECORDED
    assert hours.time_bank_minutes(volunteer.id) == 0


def test_the_volunteer_cannot_verify_their_own_hours(client, login_as, served, volunteer):
    login_as(volunteer)
    assert client.post_form(f"/hours/{served.id}/verify", token_from="/volunteer/me").status_code == 404
    assert db.session.get(HourRecord, served.id).status == RECORDED


def test_reversing_on_the_web_needs_a_reason(client, login_as, served, organiser, volunteer, project):
    hours.verify_hours(served, organiser)
    organiser.locale = "en"
    login_as(organiser)
    page = f"/projects/{project.id}/volunteer/hours?show=verified"
    response = client.post_form(f"/hours/{served.id}/reverse", {"note": ""}, token_from=page, follow_redirects=True)
    assert "Say why" in response.get_data(as_text=True)
    assert hours.time_bank_minutes(volunteer.id) == 120
    client.post_form(f"/hours/{served.id}/reverse", {"note": "记错了人"}, token_from=page)
    assert hours.time_bank_minutes(volunteer.id) == 0


# --- the volunteer's page and certificate ---------------------------------------------------------

def test_the_volunteers_page_shows_verified_and_pending_hours_apart(client, login_as, served, organiser, volunteer,
                                                                   opportunity):
    hours.verify_hours(served, organiser)
    later = make_shift(opportunity, starts_in=-timedelta(hours=5), hours=1)
    make_hour_record(make_signup(later, volunteer, CHECKED_OUT), minutes=30)
    login_as(volunteer)
    html = client.get("/volunteer/me").get_data(as_text=True)
    assert '<span class="stat-value">2</span><span class="stat-label">verified hours' in html
    assert '<span class="stat-value">0.5</span><span class="stat-label">hours awaiting' in html
    assert "/volunteer/me/certificate.pdf" in html


def test_the_certificate_is_a_pdf_of_verified_hours(client, login_as, served, organiser, volunteer, tmp_path):
    hours.verify_hours(served, organiser)
    login_as(volunteer)
    response = client.get("/volunteer/me/certificate.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert b"/NotoSansCJK" in response.data or b"NotoSansCJK" in response.data  # the CJK font is embedded
    if shutil.which("pdftotext"):
        (tmp_path / "c.pdf").write_bytes(response.data)
        text_out = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True, text=True,
                                  check=True).stdout
        assert "邻里守望为老服务" in text_out and "Certificate of volunteer service" in text_out


def test_without_verified_hours_there_is_no_certificate_yet(client, login_as, served, volunteer):
    login_as(volunteer)
    response = client.get("/volunteer/me/certificate.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith("/volunteer/me")


# --- the project's summary ------------------------------------------------------------------------

def test_project_volunteer_summary_counts_volunteers_and_verified_minutes(served, organiser, project, opportunity):
    hours.verify_hours(served, organiser)
    shift = make_shift(opportunity)
    make_signup(shift, UserFactory(), CONFIRMED)
    make_signup(shift, UserFactory(), WAITLISTED)  # not (yet) a volunteer
    make_signup(shift, UserFactory(), NO_SHOW)
    make_hour_record(make_signup(make_shift(opportunity, starts_in=-timedelta(days=3)), UserFactory(), CHECKED_OUT))
    assert hours.project_volunteer_summary(project.id) == {"volunteers": 3, "verified_minutes": 120}
