"""The give form and the sandbox checkout: bad input, closed campaigns, double clicks, monthly gifts."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds import ledger
from portal.funds.models import ENDED
from portal.payments import sandbox_checkout, service
from portal.payments.models import Donation, RecurringGift, WebhookEvent
from portal.payments.providers import enabled_provider_names, get_provider
from tests.factories.funds import make_campaign, make_team
from tests.payments.conftest import EN
from tests.payments.helpers import give, start_gift


def _donations() -> int:
    return db.session.scalar(select(func.count()).select_from(Donation))


def _nonce(client, url) -> str:
    html = client.get(url, headers=EN).get_data(as_text=True)
    return re.search(r'name="nonce" type="hidden" value="([^"]+)"', html).group(1)


# --- who may give ------------------------------------------------------------------------------------

def test_giving_needs_a_signed_in_donor(client, world):
    response = client.get(f"/give/campaign/{world.campaign.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_give_form_shows_presets_teams_and_enabled_providers(client, login_as, world):
    login_as(world.donor)
    html = client.get(f"/give/campaign/{world.campaign.id}?team={world.team.id}", headers=EN).get_data(as_text=True)
    for preset in ("¥20", "¥50", "¥100", "¥200"):
        assert preset in html
    assert world.team.name in html
    assert f'<option selected value="{world.team.id}">' in html
    assert 'value="sandbox"' in html and 'value="stripe"' not in html and 'value="offline"' not in html


# --- bad amounts and currencies -------------------------------------------------------------------------

@pytest.mark.parametrize("amount", ["0", "-5", "12.345", "0.001", "100000000", "abc", ""])
def test_bad_amounts_are_refused_and_nothing_is_created(client, login_as, world, amount):
    login_as(world.donor)
    response = give(client, world.campaign, provider="sandbox", amount_choice="other", custom_amount=amount)
    assert response.status_code == 400
    assert 'id="custom_amount-error"' in response.get_data(as_text=True)
    assert _donations() == 0


def test_an_amount_that_is_not_a_preset_is_refused(client, login_as, world):
    login_as(world.donor)
    response = give(client, world.campaign, provider="sandbox", amount_choice="123")
    assert response.status_code == 400
    assert _donations() == 0


def test_a_custom_amount_with_fen_is_accepted(client, login_as, world):
    login_as(world.donor)
    donation = start_gift(client, world.campaign, provider="sandbox", amount_choice="other", custom_amount="12.50")
    assert donation.amount_minor == 1250


def test_a_wrong_currency_is_refused(client, login_as, world):
    login_as(world.donor)
    response = give(client, world.campaign, provider="sandbox", currency="USD")
    assert response.status_code == 400
    assert "Only Chinese yuan" in response.get_data(as_text=True)
    assert _donations() == 0


def test_the_service_refuses_amounts_that_are_not_whole_positive_fen(world, app):
    for amount in (0, -100, 12.5, "100", True, 10**13):
        with pytest.raises(DomainError) as refused, app.test_request_context():
            service.prepare_gift(world.donor, fund=None, campaign=world.campaign, team=None, amount_minor=amount,
                                 frequency="one_off", display_mode="named", donor_name="x", message="",
                                 provider_name="sandbox")
        assert refused.value.field == "amount"


# --- closed and unpublished campaigns ------------------------------------------------------------------------

def test_a_finished_campaign_refuses_gifts(client, login_as, world):
    campaign = make_campaign(world.fund, world.captain, status=ENDED)
    login_as(world.donor)
    page = client.get(f"/give/campaign/{campaign.id}", headers=EN)
    assert page.status_code == 200
    assert "Continue to payment" not in page.get_data(as_text=True)
    response = give(client, campaign, provider="sandbox")
    assert response.status_code == 409
    assert _donations() == 0


def test_a_campaign_past_its_end_refuses_gifts(client, login_as, world):
    campaign = make_campaign(world.fund, world.captain, starts_at=utcnow() - timedelta(days=9),
                             ends_at=utcnow() - timedelta(days=1))
    login_as(world.donor)
    assert give(client, campaign, provider="sandbox").status_code == 409
    assert _donations() == 0


def test_an_unpublished_campaign_is_not_found(client, login_as, world):
    draft = make_campaign(world.fund, world.captain, status="draft")
    login_as(world.donor)
    assert client.get(f"/give/campaign/{draft.id}").status_code == 404
    assert give(client, draft, provider="sandbox").status_code == 404
    assert _donations() == 0


def test_an_inactive_fund_refuses_gifts(client, login_as, world):
    world.fund.is_active = False
    db.session.flush()
    login_as(world.donor)
    response = client.post_form(f"/give/fund/{world.fund.id}", {
        "amount_choice": "5000", "frequency": "one_off", "display_mode": "named", "donor_name": "张小明",
        "provider": "sandbox"}, headers=EN)
    assert response.status_code == 409
    assert _donations() == 0


def test_a_team_of_another_campaign_is_refused(client, login_as, world):
    other_campaign = make_campaign(world.fund, world.captain)
    other_team = make_team(other_campaign, world.captain)
    login_as(world.donor)
    assert give(client, world.campaign, provider="sandbox", team=str(other_team.id)).status_code == 400
    assert _donations() == 0


# --- double clicks -----------------------------------------------------------------------------------------

def test_a_double_clicked_pay_makes_one_gift_and_one_checkout(client, login_as, world):
    login_as(world.donor)
    url = f"/give/campaign/{world.campaign.id}"
    nonce = _nonce(client, url)
    first = give(client, world.campaign, provider="sandbox", nonce=nonce)
    second = give(client, world.campaign, provider="sandbox", nonce=nonce)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert _donations() == 1


def test_the_same_gift_from_a_second_form_reuses_the_pending_one(client, login_as, world, fake):
    login_as(world.donor)
    first = give(client, world.campaign)  # stripe: each call goes to the fake
    second = give(client, world.campaign)
    assert first.headers["Location"] == second.headers["Location"]
    assert _donations() == 1
    assert len(fake.sessions) == 1  # the idempotency key gave the same session back


def test_a_resubmitted_form_after_payment_shows_the_gift(client, login_as, world):
    login_as(world.donor)
    url = f"/give/campaign/{world.campaign.id}"
    nonce = _nonce(client, url)
    checkout = give(client, world.campaign, provider="sandbox", nonce=nonce).headers["Location"]
    client.post_form(checkout, {"action": "pay"})
    again = give(client, world.campaign, provider="sandbox", nonce=nonce)
    assert again.status_code == 302
    assert "/receipt" in again.headers["Location"]
    assert _donations() == 1


def test_a_gift_the_donor_s_other_browser_pays_as_this_one_opens_it_is_shown_not_refused(client, login_as, world,
                                                                                          monkeypatch):
    """A second browser's form reuses the donor's pending gift (prepare_gift); when the first browser pays it
    between the second's commit and its checkout, the second donor sees the gift made, not a 409 (seen now and
    then in the PostgreSQL crowd test)."""
    login_as(world.donor)
    pending = start_gift(client, world.campaign, provider="sandbox")  # the first browser's gift, not paid yet
    open_checkout = service.start_checkout

    def paid_by_the_first_browser_meanwhile(gift, success_url, cancel_url):
        assert gift.id == pending.id  # reused
        service.mark_donation_succeeded(gift)
        db.session.commit()
        return open_checkout(gift, success_url, cancel_url)

    monkeypatch.setattr(service, "start_checkout", paid_by_the_first_browser_meanwhile)
    second = give(client, world.campaign, provider="sandbox")
    assert second.status_code == 302, second.status_code
    assert second.headers["Location"].endswith(f"/donations/{pending.id}/receipt")
    assert _donations() == 1
    db.session.expire_all()
    assert db.session.get(Donation, pending.id).status == "succeeded"


def test_a_forged_nonce_is_refused(client, login_as, world):
    login_as(world.donor)
    assert give(client, world.campaign, provider="sandbox", nonce="made-up").status_code == 400
    assert _donations() == 0


# --- the sandbox checkout -----------------------------------------------------------------------------------

def test_sandbox_pay_credits_through_a_stored_sandbox_event(client, login_as, world):
    login_as(world.donor)
    checkout = give(client, world.campaign, provider="sandbox", team=str(world.team.id)).headers["Location"]
    assert "/sandbox/checkout/" in checkout
    page = client.get(checkout, headers=EN).get_data(as_text=True)
    assert "¥50.00" in page and "No real money" in page
    done = client.post_form(checkout, {"action": "pay"})
    assert done.status_code == 303
    donation = db.session.scalar(select(Donation))
    assert donation.status == "succeeded"
    assert done.headers["Location"].endswith(f"/donations/{donation.id}/receipt")
    stored = db.session.scalar(select(WebhookEvent))
    assert stored.provider == "sandbox" and stored.id.startswith("sb_evt_") and stored.processed_at
    db.session.refresh(world.team)
    assert world.team.raised_minor == 5000 == ledger.team_raised(world.team.id)


def test_sandbox_fail_and_cancel_take_no_money(client, login_as, world):
    login_as(world.donor)
    checkout = give(client, world.campaign, provider="sandbox").headers["Location"]
    client.post_form(checkout, {"action": "fail"}, token_from=checkout)
    assert db.session.scalar(select(Donation.status)) == "failed"
    checkout = give(client, world.campaign, provider="sandbox", amount_choice="2000").headers["Location"]
    back = client.post_form(checkout, {"action": "cancel"})
    assert back.headers["Location"].endswith(f"/give/campaign/{world.campaign.id}")
    assert sorted(db.session.scalars(select(Donation.status))) == ["expired", "failed"]
    assert ledger.campaign_raised(world.campaign.id) == 0


def test_a_finished_sandbox_checkout_cannot_be_paid_again(client, login_as, world):
    login_as(world.donor)
    checkout = give(client, world.campaign, provider="sandbox").headers["Location"]
    client.post_form(checkout, {"action": "pay"})
    client.post_form(checkout, {"action": "pay"}, token_from="/")
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    assert ledger.campaign_raised(world.campaign.id) == 5000


def test_someone_else_cannot_open_my_sandbox_checkout(client, login_as, world):
    login_as(world.donor)
    checkout = give(client, world.campaign, provider="sandbox").headers["Location"]
    client.post_form("/logout", {}, token_from="/")
    login_as(world.other)
    assert client.get(checkout).status_code == 404
    assert client.get("/sandbox/checkout/d1-0000").status_code == 404


def test_a_monthly_sandbox_gift_pays_its_first_month_at_once(client, login_as, world, runner):
    login_as(world.donor)
    checkout = give(client, world.campaign, provider="sandbox", frequency="monthly").headers["Location"]
    done = client.post_form(checkout, {"action": "pay"})
    gift = db.session.scalar(select(RecurringGift))
    assert done.headers["Location"].endswith(f"/me/giving/monthly/{gift.id}")
    assert gift.status == "active" and gift.provider_subscription_id.startswith("sb_sub_")
    assert [d.status for d in gift.donations] == ["succeeded"]
    result = runner.invoke(args=["sandbox", "renew-monthly"])
    assert result.exit_code == 0, result.output
    assert "1 monthly gift" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Donation).where(
        Donation.recurring_gift_id == gift.id, Donation.status == "succeeded")) == 2
    assert ledger.campaign_raised(world.campaign.id) == 10000


def test_the_donor_cancels_a_monthly_gift(client, login_as, world):
    login_as(world.donor)
    checkout = give(client, world.campaign, provider="sandbox", frequency="monthly").headers["Location"]
    client.post_form(checkout, {"action": "pay"})
    gift = db.session.scalar(select(RecurringGift))
    response = client.post_form(f"/me/giving/monthly/{gift.id}/cancel", {}, token_from="/me/giving")
    assert response.status_code == 302
    db.session.refresh(gift)
    assert gift.status == "cancelled"
    assert sandbox_checkout.renew_sandbox_monthly_gifts() == 0


def test_nobody_else_cancels_my_monthly_gift(client, login_as, world):
    login_as(world.donor)
    checkout = give(client, world.campaign, provider="sandbox", frequency="monthly").headers["Location"]
    client.post_form(checkout, {"action": "pay"})
    gift = db.session.scalar(select(RecurringGift))
    client.post_form("/logout", {}, token_from="/")
    login_as(world.other)
    assert client.post_form(f"/me/giving/monthly/{gift.id}/cancel", {}, token_from="/").status_code == 404
    db.session.refresh(gift)
    assert gift.status == "active"


# --- providers ---------------------------------------------------------------------------------------------

def test_sandbox_is_refused_in_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDERS", "stripe,sandbox,offline")
    with app.test_request_context():
        with pytest.raises(DomainError) as refused:
            get_provider("sandbox")
        assert refused.value.code == "sandbox_in_production"
        assert "sandbox" not in enabled_provider_names()
        assert get_provider("offline").name == "offline"


def test_the_production_give_form_offers_no_sandbox(client, login_as, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    login_as(world.donor)
    html = client.get(f"/give/campaign/{world.campaign.id}", headers=EN).get_data(as_text=True)
    assert 'value="sandbox"' not in html
    assert give(client, world.campaign, provider="sandbox").status_code == 400
    assert _donations() == 0


def test_a_provider_that_is_not_enabled_is_refused(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDERS", "offline")
    with app.test_request_context():
        for name in ("stripe", "sandbox", "paypal"):
            with pytest.raises(DomainError):
                get_provider(name)


def test_checkouts_abandoned_for_days_expire(client, login_as, world, runner):
    login_as(world.donor)
    give(client, world.campaign, provider="sandbox")
    donation = db.session.scalar(select(Donation))
    donation.created_at = utcnow() - timedelta(days=3)
    db.session.flush()
    result = runner.invoke(args=["payments", "expire-stale"])
    assert result.exit_code == 0 and "1 abandoned" in result.output
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "expired"
