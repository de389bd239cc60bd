"""The world of the payment and evaluation tests: a contract of a verified organisation bought by a district's
department, two officials of the buyer (one asks, the other approves), the organisation's admin, a
third-party evaluator over the district and a resident; helpers to verify delivery and accept milestones."""
from dataclasses import dataclass

import pytest

from portal.accounts import roles
from portal.contracts import payments
from portal.contracts.models import VERIFIED as REPORT_VERIFIED
from portal.orgs.models import VERIFIED
from tests.factories.accounts import UserFactory, grant
from tests.factories.contracts import make_contract, make_report
from tests.factories.orgs import make_organisation
from tests.factories.places import make_tree
from tests.factories.procurement import make_department


@dataclass
class World:
    tree: dict
    department: object
    organisation: object
    official: object
    second_official: object
    org_admin: object
    evaluator: object
    resident: object
    contract: object


def make_world(lines=(("居家养老上门服务", "hour", 4000, 2000),), shares=(3000, 3000, 4000)) -> World:
    tree = make_tree()
    official, second, admin, evaluator, resident = (UserFactory() for _ in range(5))
    grant(official, roles.OFFICIAL, tree["district"])
    grant(second, roles.OFFICIAL, tree["district"])
    grant(evaluator, roles.EVALUATOR, tree["district"])
    organisation = make_organisation(admin, tree["community"], status=VERIFIED)
    grant(admin, roles.ORG_ADMIN, organisation)
    department = make_department(tree["district"])
    contract = make_contract(department, organisation, official, place=tree["community"], lines=lines, shares=shares)
    return World(tree, department, organisation, official, second, admin, evaluator, resident, contract)


@pytest.fixture(name="world")
def world_fixture(app):
    """Import `world_fixture` into a test module and ask for `world`."""
    return make_world()


def verified_report(world: World, milestone, units_by_line=None):
    return make_report(world.contract, milestone, world.org_admin, units_by_line=units_by_line,
                       status=REPORT_VERIFIED, records=0)


def accepted(world: World, milestone, rating: int = 5, units_by_line=None):
    """A milestone with a verified report, accepted with `rating` by the buyer's official."""
    verified_report(world, milestone, units_by_line)
    return payments.accept_milestone(world.contract, milestone, world.official, rating, "抽查服务记录，情况属实")


def paid_in_full(world: World, milestone, rating: int = 5, units_by_line=None):
    accepted(world, milestone, rating, units_by_line)
    remaining = payments.payable_formula.milestone_payable(world.contract, milestone).remaining_minor
    payment = payments.request_payment(world.contract, milestone, world.official, remaining)
    return payments.approve_payment(payment, world.second_official)
