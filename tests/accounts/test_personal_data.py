"""The personal-data download and erasure ask every domain's registered part (accounts imports none of them)."""
import pytest

from portal.accounts import service
from portal.accounts.personal_data import registered_parts
from portal.core.errors import DomainError
from tests.factories.accounts import UserFactory
from tests.factories.funds import make_fund
from tests.factories.needs import make_need
from tests.factories.payments import make_donation, make_recurring_gift
from tests.factories.places import make_tree


def test_every_domain_holding_personal_data_registers_its_part(app):
    assert {part.domain for part in registered_parts()} == {"payments", "needs", "projects", "volunteering",
                                                                       "procurement"}


def test_the_download_carries_each_domains_rows(app):
    tree = make_tree()
    person = UserFactory()
    fund = make_fund(tree["community"])
    gift = make_donation(fund, person, amount_minor=8_800)
    need = make_need(tree["community"], person, title="楼道灯坏了")
    data = service.export_personal_data(person)
    assert set(data) == {"account", "roles", "donations", "monthly_gifts", "needs_posted", "needs_backed",
                         "project_ratings", "projects_followed", "volunteer_signups", "volunteer_hours",
                         "call_questions", "roadshow_votes", "objections_filed"}
    assert [(row["id"], row["amount_minor"]) for row in data["donations"]] == [(gift.id, 8_800)]
    assert [row["title"] for row in data["needs_posted"]] == [need.title]
    assert data["account"]["email"] == person.email


def test_erasure_asks_the_payments_part_which_refuses_while_a_monthly_gift_runs(app):
    from tests.conftest import TEST_PASSWORD

    tree = make_tree()
    person = UserFactory()
    make_recurring_gift(make_fund(tree["community"]), person)
    with pytest.raises(DomainError):
        service.erase_account(person, TEST_PASSWORD)
    assert not person.email.startswith("erased-")
