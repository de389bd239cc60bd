"""What evaluation and awards add to a call's page and to the buyer's workbench (portal/procurement/sections.py)."""
from flask import render_template
from flask_login import AnonymousUserMixin

from portal.procurement import awards, sections
from tests.factories.evaluation import World, contest_fields, give_scores, in_evaluation, seat


def _rendered(call, user) -> str:
    return "".join(render_template(name, **context) for name, context in sections.sections_for(call, user))


def test_the_call_page_shows_the_public_award_notice_to_anyone(app):
    world = World()
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True, submitted=True)
    give_scores(world.call, world.e1, {bid: 4 for bid in world.bids.values()})
    lot_id = world.call.lots[0].id
    awards.decide_award(world.call, world.official, {lot_id: [world.bids["a"].id]}, {lot_id: "价格与方案俱佳"})
    with app.test_request_context():
        html = _rendered(world.call, AnonymousUserMixin())
    assert world.orgs["a"].name in html and "价格与方案俱佳" in html


def test_a_bidder_sees_the_objection_button_during_publicity(app):
    world = World()
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True, submitted=True)
    give_scores(world.call, world.e1, {bid: 4 for bid in world.bids.values()})
    lot_id = world.call.lots[0].id
    awards.decide_award(world.call, world.official, {lot_id: [world.bids["a"].id]}, {lot_id: "价格与方案俱佳"})
    with app.test_request_context():
        html = _rendered(world.call, world.admins["b"])
    assert f"/procurement/calls/{world.call.id}/objections/new" in html


def test_a_panel_member_gets_a_link_to_their_sheet(app):
    world = World()
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1)
    with app.test_request_context():
        html = _rendered(world.call, world.e1)
    assert f"/procurement/calls/{world.call.id}/scoring" in html


def test_a_contest_links_its_roadshow(app):
    world = World(**contest_fields())
    with app.test_request_context():
        html = _rendered(world.call, AnonymousUserMixin())
    assert f"/procurement/calls/{world.call.id}/roadshow" in html


def test_the_workbench_asks_the_buyer_to_name_a_panel_then_to_award(app):
    world = World()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert [label for label, _url in sum(sections.buyer_actions(world.call), [])] == ["Name the evaluation panel"]
        in_evaluation(world.call)
        seat(world.call, world.official, world.e1, declared=True, submitted=True)
        assert [label for label, _url in sum(sections.buyer_actions(world.call), [])] == ["Decide the award"]
