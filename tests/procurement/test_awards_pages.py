"""The award pages: the decision form, the public notice, objections by bidders only and only during
publicity, the answer shown to the objector, and a loser's own scores beside the winner's (no one else's)."""
from sqlalchemy import func, select

from portal.extensions import db
from portal.procurement import awards
from portal.procurement.models import AWARDED, EVALUATION, Award, Objection
from tests.factories.accounts import UserFactory
from tests.factories.evaluation import World, give_scores, in_evaluation, seat


def _en(*users):
    for user in users:
        user.locale = "en"
    db.session.flush()


def _evaluated():
    world = World()
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True, submitted=True)
    give_scores(world.call, world.e1, {world.bids["a"]: 3, world.bids["b"]: 5, world.bids["c"]: 1})
    return world


def _awarded():
    world = _evaluated()
    lot_id = world.call.lots[0].id
    awards.decide_award(world.call, world.official, {lot_id: [world.bids["b"].id]}, {lot_id: "综合得分最高"})
    return world


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_award_form_without_reasons_says_so_and_stores_nothing(client, login_as):
    world = _evaluated()
    _en(world.official)
    login_as(world.official)
    lot_id = world.call.lots[0].id
    path = f"/procurement/calls/{world.call.id}/award"
    response = client.post_form(path, {f"lot_{lot_id}": [str(world.bids["b"].id)], f"reasons_{lot_id}": ""})
    assert response.status_code == 400
    assert "Give the reasons" in response.get_data(as_text=True)
    assert _count(Award) == 0 and world.call.status == EVALUATION


def test_the_award_form_publishes_the_award(client, login_as):
    world = _evaluated()
    login_as(world.official)
    lot_id = world.call.lots[0].id
    path = f"/procurement/calls/{world.call.id}/award"
    response = client.post_form(path, {f"lot_{lot_id}": [str(world.bids["b"].id)], f"reasons_{lot_id}": "得分最高"})
    assert response.status_code == 302
    assert world.call.status == AWARDED


def test_the_public_notice_shows_winner_amount_score_reasons_and_publicity_end(client):
    world = _awarded()
    body = client.get(f"/procurement/calls/{world.call.id}/award-notice").get_data(as_text=True)
    assert world.orgs["b"].name in body
    assert "¥250,000.00" in body and "80.00" in body and "综合得分最高" in body


def test_a_bidder_files_an_objection_on_the_page(client, login_as):
    world = _awarded()
    login_as(world.admins["a"])
    path = f"/procurement/calls/{world.call.id}/objections/new"
    response = client.post_form(path, {"organisation": str(world.orgs["a"].id), "grounds": "价格分计算有误，请复核。"})
    assert response.status_code == 302
    assert _count(Objection) == 1


def test_a_non_bidder_cannot_reach_the_objection_form(client, login_as):
    world = _awarded()
    login_as(UserFactory())
    assert client.get(f"/procurement/calls/{world.call.id}/objections/new").status_code == 404


def test_an_objection_after_publicity_is_a_409_with_a_clear_message(client, login_as, clock):
    world = _awarded()
    _en(world.admins["a"])
    login_as(world.admins["a"])
    path = f"/procurement/calls/{world.call.id}/objections/new"
    token = client.csrf_token(path)
    clock.move(days=world.call.publicity_days, minutes=5)
    response = client.post(path, data={"csrf_token": token, "organisation": str(world.orgs["a"].id),
                                       "grounds": "价格分计算有误，请复核。"})
    assert response.status_code == 409
    assert "objections are no longer taken" in response.get_data(as_text=True)
    assert _count(Objection) == 0


def test_the_answer_is_shown_to_the_objector(client, login_as):
    world = _awarded()
    objection = awards.file_objection(world.call, world.admins["a"], world.orgs["a"].id, "价格分计算有误，请复核。")
    login_as(world.official)
    path = f"/procurement/calls/{world.call.id}/objections/{objection.id}"
    response = client.post_form(f"{path}/answer", {"outcome": "upheld", "answer": "确有错误，重新评审。"},
                                token_from=path)
    assert response.status_code == 302
    assert world.call.status == EVALUATION
    client.post_form("/logout", token_from="/")
    login_as(world.admins["a"])
    assert "确有错误，重新评审。" in client.get(path).get_data(as_text=True)


def test_another_bidder_cannot_read_an_objection(client, login_as):
    world = _awarded()
    objection = awards.file_objection(world.call, world.admins["a"], world.orgs["a"].id, "价格分计算有误，请复核。")
    login_as(world.admins["c"])
    assert client.get(f"/procurement/calls/{world.call.id}/objections/{objection.id}").status_code == 404


def test_a_loser_sees_its_own_scores_and_the_winners_only(client, login_as):
    world = _awarded()
    login_as(world.admins["a"])
    body = client.get(f"/procurement/calls/{world.call.id}/my-scores").get_data(as_text=True)
    assert world.orgs["a"].name in body and world.orgs["b"].name in body
    assert world.orgs["c"].name not in body


def test_scores_are_not_shown_to_bidders_before_the_award(client, login_as):
    world = _evaluated()
    login_as(world.admins["a"])
    assert client.get(f"/procurement/calls/{world.call.id}/my-scores").status_code == 409
