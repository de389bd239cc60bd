"""Receipts (page and PDF), "My giving", yearly statements, and how donor names are shown."""
import os
import shutil
import subprocess

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.payments import service
from portal.payments.models import Donation
from tests.factories.funds import make_team
from tests.payments.conftest import EN
from tests.payments.helpers import give


def _paid(client, world, **fields) -> Donation:
    checkout = give(client, world.campaign, provider="sandbox", **fields).headers["Location"]
    client.post_form(checkout, {"action": "pay"})
    return db.session.scalar(select(Donation).order_by(Donation.id.desc()))


def _switch(client, login_as, user):
    client.post_form("/logout", {}, token_from="/")
    login_as(user)


def test_the_receipt_is_for_the_donor_and_the_treasurer_only(client, login_as, world):
    login_as(world.donor)
    donation = _paid(client, world)
    page = client.get(f"/donations/{donation.id}/receipt", headers=EN)
    assert page.status_code == 200 and donation.receipt_number in page.get_data(as_text=True)
    assert client.get(f"/donations/{donation.id}/receipt.pdf").status_code == 200
    _switch(client, login_as, world.treasurer)
    assert client.get(f"/donations/{donation.id}/receipt").status_code == 200
    assert client.get(f"/donations/{donation.id}/receipt.pdf").status_code == 200
    for outsider in (world.member, world.other, world.captain):
        _switch(client, login_as, outsider)
        assert client.get(f"/donations/{donation.id}/receipt").status_code == 404
        assert client.get(f"/donations/{donation.id}/receipt.pdf").status_code == 404
    client.post_form("/logout", {}, token_from="/")
    assert client.get(f"/donations/{donation.id}/receipt").status_code == 302


def test_the_pdf_receipt_has_the_receipt_number_and_chinese_text(client, login_as, world):
    login_as(world.donor)
    donation = _paid(client, world, team=str(world.team.id))
    response = client.get(f"/donations/{donation.id}/receipt.pdf")
    assert response.data.startswith(b"%PDF")
    assert response.mimetype == "application/pdf"
    assert donation.receipt_number.encode() in response.data
    assert f"receipt-{donation.receipt_number}.pdf" in response.headers["Content-Disposition"]
    assert b"NotoSansCJK" in response.data  # the CJK font is embedded, not left to the reader's machine


@pytest.mark.skipif(shutil.which("pdftotext") is None and os.environ.get("CI", "").lower() != "true",
                    reason="poppler-utils (pdftotext) not installed; .ci/run installs it, so CI never skips this")
def test_the_pdf_receipt_text_reads_back_in_chinese(client, login_as, world, tmp_path):
    login_as(world.donor)
    donation = _paid(client, world, team=str(world.team.id))
    path = tmp_path / "receipt.pdf"
    path.write_bytes(client.get(f"/donations/{donation.id}/receipt.pdf").data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert donation.receipt_number in text
    assert "捐赠收据" in text or "Donation receipt" in text
    assert world.team.name in text and "张小明" in text and "¥50.00" in text


def test_my_giving_lists_gifts_monthly_gifts_teams_and_years(client, login_as, world):
    make_team(world.campaign, world.captain, name="夜明珠跑团", members=[world.donor])
    login_as(world.donor)
    donation = _paid(client, world)
    checkout = give(client, world.campaign, provider="sandbox", frequency="monthly",
                    amount_choice="2000").headers["Location"]
    client.post_form(checkout, {"action": "pay"})
    html = client.get("/me/giving", headers=EN).get_data(as_text=True)
    assert donation.receipt_number in html
    assert "¥20.00 a month" in html and "Cancel this monthly gift" in html
    assert "夜明珠跑团" in html
    year = donation.succeeded_at.year
    assert f"/me/giving/statement/{year}.csv" in html and "¥70.00" in html


def test_the_yearly_statement_counts_gifts_less_refunds(client, login_as, world):
    login_as(world.donor)
    first = _paid(client, world, amount_choice="10000")
    _paid(client, world, amount_choice="2000")
    service.refund_donation(first, 2500, "部分退款", world.treasurer)
    year = first.succeeded_at.year
    csv = client.get(f"/me/giving/statement/{year}.csv").get_data(as_text=True)
    assert csv.startswith("\ufeff")
    assert first.receipt_number in csv and "95" in csv.splitlines()[-1]
    pdf = client.get(f"/me/giving/statement/{year}.pdf")
    assert pdf.data.startswith(b"%PDF")
    empty = client.get(f"/me/giving/statement/{year - 5}.csv").get_data(as_text=True)
    assert len(empty.strip().splitlines()) == 2  # the header and a zero total


def test_statements_hold_only_my_own_gifts(client, login_as, world):
    login_as(world.donor)
    mine = _paid(client, world)
    _switch(client, login_as, world.other)
    csv = client.get(f"/me/giving/statement/{mine.succeeded_at.year}.csv").get_data(as_text=True)
    assert mine.receipt_number not in csv
    assert mine.receipt_number not in client.get("/me/giving").get_data(as_text=True)


@pytest.mark.parametrize("mode, name, shown", [
    ("named", "张小明", "张小明"), ("initials", "张小明", "张**"), ("initials", "Li Na", "L. N."),
    ("anonymous", "张小明", "Anonymous donor"), ("named", "", "Anonymous donor"),
])
def test_public_donor_name_follows_the_donors_choice(app, mode, name, shown):
    with app.test_request_context(headers=EN):
        assert service.public_donor_name(Donation(donor_name=name, display_mode=mode)) == shown


def test_receipt_numbers_are_unique_and_carry_the_year(client, login_as, world):
    login_as(world.donor)
    first = _paid(client, world, amount_choice="2000")
    second = _paid(client, world, amount_choice="10000")
    assert first.receipt_number != second.receipt_number
    assert first.receipt_number.startswith(f"R{first.succeeded_at.year}-")
