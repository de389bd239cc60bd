"""The evaluation pages: the panel form, the evaluator's queue (a fixed number of queries), declarations,
the phone scoring page (refused to a recused evaluator with a clear 409), blindness on the pages."""
from sqlalchemy import func, select

from portal.extensions import db
from portal.procurement.models import EVALUATION, PanelMember, Score
from tests.factories.evaluation import World, give_scores, in_evaluation, seat

EN = {"Accept-Language": "en"}


def _en(*users):
    for user in users:
        user.locale = "en"
    db.session.flush()


def _scores() -> int:
    return db.session.scalar(select(func.count()).select_from(Score))


def test_the_buyer_names_the_panel_and_starts_the_evaluation(client, login_as):
    world = World()
    _en(world.official)
    login_as(world.official)
    path = f"/procurement/calls/{world.call.id}/panel"
    response = client.post_form(path, {"members": [str(world.e1.id)]})
    assert response.status_code == 302
    assert "three or more" in client.get(path).get_data(as_text=True)
    response = client.post_form(f"/procurement/calls/{world.call.id}/evaluation/start", token_from=path)
    assert response.status_code == 302
    assert world.call.status == EVALUATION


def test_naming_someone_without_the_role_shows_the_message_and_stores_nothing(client, login_as):
    world = World()
    _en(world.official)
    login_as(world.official)
    path = f"/procurement/calls/{world.call.id}/panel"
    response = client.post_form(path, {"members": [str(world.admins["a"].id)]})
    assert response.status_code == 400
    assert "evaluator role" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PanelMember)) == 0


def test_an_evaluator_declares_then_sees_the_sheet(client, login_as):
    world = World(prices=(20_000_000, 25_000_000))
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1)
    _en(world.e1)
    login_as(world.e1)
    assert client.get(f"/procurement/calls/{world.call.id}/scoring").status_code == 302  # to the declaration
    path = f"/procurement/calls/{world.call.id}/conflicts"
    response = client.post_form(path, {f"conflicted_{world.orgs['a'].id}": "yes",
                                       f"note_{world.orgs['a'].id}": "其理事为本人配偶",
                                       f"conflicted_{world.orgs['b'].id}": "no"})
    assert response.status_code == 302
    sheet = client.get(f"/procurement/calls/{world.call.id}/scoring").get_data(as_text=True)
    assert "Recused" in sheet


def test_a_conflicted_evaluator_is_refused_the_scoring_page_with_409(client, login_as):
    world = World(prices=(20_000_000, 25_000_000))
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True, conflicts=[world.orgs["a"]])
    _en(world.e1)
    login_as(world.e1)
    response = client.get(f"/procurement/calls/{world.call.id}/scoring/{world.bids['a'].id}")
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "recused" in body and "以社区为平台" not in body  # the message, never the bid's content


def test_a_conflicted_evaluators_post_is_refused_and_stores_nothing(client, login_as):
    world = World(prices=(20_000_000, 25_000_000))
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True, conflicts=[world.orgs["a"]])
    login_as(world.e1)
    data = {"csrf_token": client.csrf_token(f"/procurement/calls/{world.call.id}/scoring")}
    for criterion in world.quality:
        data.update({f"points_{criterion.id}": "5", f"comment_{criterion.id}": "很好"})
    response = client.post(f"/procurement/calls/{world.call.id}/scoring/{world.bids['a'].id}", data=data)
    assert response.status_code == 409
    assert _scores() == 0


def test_the_scoring_page_shows_the_bid_and_saves_scores(client, login_as):
    world = World(prices=(20_000_000, 25_000_000))
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True)
    login_as(world.e1)
    path = f"/procurement/calls/{world.call.id}/scoring/{world.bids['a'].id}"
    assert "以社区为平台" in client.get(path).get_data(as_text=True)
    data = {}
    for criterion in world.quality:
        data.update({f"points_{criterion.id}": "4", f"comment_{criterion.id}": "方案具体"})
    assert client.post_form(path, data).status_code == 302
    assert _scores() == 2


def test_a_score_out_of_range_on_the_page_is_named_and_nothing_stored(client, login_as):
    world = World(prices=(20_000_000, 25_000_000))
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True)
    _en(world.e1)
    login_as(world.e1)
    first, second = world.quality
    path = f"/procurement/calls/{world.call.id}/scoring/{world.bids['a'].id}"
    response = client.post_form(path, {f"points_{first.id}": "4", f"comment_{first.id}": "好",
                                       f"points_{second.id}": "7", f"comment_{second.id}": "好"})
    assert response.status_code == 400
    assert "from 0 to 5" in response.get_data(as_text=True)
    assert _scores() == 0


def test_a_score_without_a_comment_on_the_page_is_named_and_nothing_stored(client, login_as):
    world = World(prices=(20_000_000, 25_000_000))
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True)
    _en(world.e1)
    login_as(world.e1)
    first, second = world.quality
    path = f"/procurement/calls/{world.call.id}/scoring/{world.bids['a'].id}"
    response = client.post_form(path, {f"points_{first.id}": "4", f"comment_{first.id}": "好",
                                       f"points_{second.id}": "3", f"comment_{second.id}": ""})
    assert response.status_code == 400
    assert "needs a comment" in response.get_data(as_text=True)
    assert _scores() == 0


def test_the_ranking_is_closed_to_the_panel_until_all_have_submitted(client, login_as):
    world = World(prices=(20_000_000, 25_000_000))
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True, submitted=True)
    seat(world.call, world.official, world.e2, declared=True)
    give_scores(world.call, world.e1, {world.bids["a"]: 4, world.bids["b"]: 4})
    login_as(world.e2)
    response = client.get(f"/procurement/calls/{world.call.id}/ranking")
    assert response.status_code == 409
    assert "方案具体，可操作" not in response.get_data(as_text=True)  # e1's comment


def test_the_panel_sees_every_evaluators_comments_once_all_have_submitted(client, login_as):
    world = World(prices=(20_000_000, 25_000_000))
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, world.e2, declared=True, submitted=True)
    give_scores(world.call, world.e1, {world.bids["a"]: 4, world.bids["b"]: 4})
    login_as(world.e2)
    response = client.get(f"/procurement/calls/{world.call.id}/ranking")
    assert response.status_code == 200
    assert "方案具体，可操作" in response.get_data(as_text=True)


def _queue_count(client, count_queries):
    client.get("/procurement/evaluations", headers=EN)
    with count_queries() as statements:
        response = client.get("/procurement/evaluations", headers=EN)
    assert response.status_code == 200
    return len(statements)


def test_the_evaluator_queue_query_count_does_not_grow(client, login_as, count_queries):
    world = World()
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True)
    login_as(world.e1)
    few = _queue_count(client, count_queries)
    for _n in range(4):
        other = World()
        in_evaluation(other.call)
        seat(other.call, other.official, world.e1, declared=True)
        give_scores(other.call, world.e1, {other.bids["a"]: 3})
    assert _queue_count(client, count_queries) == few


def test_the_queue_names_what_is_pending(client, login_as):
    world = World()
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1)
    _en(world.e1)
    login_as(world.e1)
    assert "Declare conflicts" in client.get("/procurement/evaluations").get_data(as_text=True)


def _page_count(client, count_queries, path):
    client.get(path, headers=EN)
    with count_queries() as statements:
        response = client.get(path, headers=EN)
    assert response.status_code == 200
    return len(statements)


def _add_bids(world, n):
    from tests.factories.evaluation import make_bidder
    from tests.factories.procurement import make_bid

    for _i in range(n):
        organisation, admin = make_bidder(world.tree["community"])
        bid = make_bid(world.call, organisation, admin, price_minor=21_000_000, status="valid")
        give_scores(world.call, world.e1, {bid: 3})


def test_the_ranking_and_scoring_sheet_query_counts_do_not_grow_with_bids(client, login_as, count_queries):
    world = World(prices=(20_000_000,))
    in_evaluation(world.call)
    seat(world.call, world.official, world.e1, declared=True, submitted=True)
    give_scores(world.call, world.e1, {world.bids["a"]: 4})
    _add_bids(world, 1)
    login_as(world.e1)
    ranking_path, sheet_path = (f"/procurement/calls/{world.call.id}/ranking",
                                f"/procurement/calls/{world.call.id}/scoring")
    few = (_page_count(client, count_queries, ranking_path), _page_count(client, count_queries, sheet_path))
    _add_bids(world, 5)
    assert (_page_count(client, count_queries, ranking_path), _page_count(client, count_queries, sheet_path)) == few
