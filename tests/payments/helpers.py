"""Test helpers: start a gift through the real give form, as a donor would."""
from sqlalchemy import select

from portal.extensions import db
from portal.funds.models import LedgerEntry
from portal.payments.models import Donation, RecurringGift
from tests.payments.conftest import EN


def give(client, campaign, provider="stripe", amount_choice="5000", frequency="one_off", **fields):
    data = {"amount_choice": amount_choice, "frequency": frequency, "display_mode": "named",
            "donor_name": "张小明", "provider": provider, **fields}
    url = f"/give/campaign/{campaign.id}"
    return client.post_form(url, data, headers=EN)


def start_gift(client, campaign, **kwargs) -> Donation | RecurringGift:
    response = give(client, campaign, **kwargs)
    assert response.status_code == 303, (response.status_code, _errors(response))
    model = RecurringGift if kwargs.get("frequency") == "monthly" else Donation
    return db.session.scalars(select(model).order_by(model.id.desc())).first()


def gift_entries(donation) -> list[LedgerEntry]:
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.donation_id == donation.id,
                                                             LedgerEntry.kind == "gift")))


def _errors(response) -> list[str]:
    import re

    html = response.get_data(as_text=True)
    return re.findall(r'class="(?:flash flash-error|error-text)"[^>]*>(.*?)</p>', html, re.S)


def rail_texts(client, donation, donor, locale: str, tmp_path) -> dict[str, str]:
    """What the donor reads about a credited gift in `locale` ("en" or "zh_CN"): the receipt page, "My giving",
    and (when pdftotext is there: CI always has it) the receipt PDF and the year's statement PDF as text."""
    import os
    import shutil
    import subprocess

    import pytest

    donor.locale = locale
    db.session.commit()
    texts = {"receipt": client.get(f"/donations/{donation.id}/receipt").get_data(as_text=True),
             "my giving": client.get("/me/giving").get_data(as_text=True)}
    if shutil.which("pdftotext") is None and os.environ.get("CI", "").lower() != "true":
        pytest.skip("poppler-utils (pdftotext) not installed; .ci/run installs it, so CI never skips this")
    for name, url in (("receipt pdf", f"/donations/{donation.id}/receipt.pdf"),
                      ("statement pdf", f"/me/giving/statement/{donation.succeeded_at.year}.pdf")):
        path = tmp_path / f"{name.replace(' ', '-')}-{locale}.pdf"
        path.write_bytes(client.get(url).data)
        texts[name] = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                     check=True).stdout
    return texts


def late_counts(**nonzero) -> dict:
    """What portal.payments.late_orders.query_late_orders answers: every count, zero unless named."""
    return {"queried": 0, "applied": 0, "unpaid": 0, "closed": 0, "errors": 0, **nonzero}
