"""Needs service: posting (also by a grid worker for a resident), backing once each with an atomic count,
triage (accept, merge moving backings once per person, decline with a reason), links, suggestions."""
import pytest
from sqlalchemy import func, select

from portal.core.errors import IllegalTransition, ValidationFailed
from portal.extensions import db
from portal.needs import service
from portal.needs.models import ACCEPTED, ANSWERED, DECLINED, MERGED, OPEN, Need, NeedBacking, NeedLink
from portal.notifications.models import Notification
from portal.orgs.models import VERIFIED
from tests.factories.accounts import UserFactory
from tests.factories.needs import make_need
from tests.factories.orgs import make_organisation
from tests.factories.projects import make_project

pytestmark = pytest.mark.usefixtures("english")


def _backers(need) -> list[int]:
    return sorted(db.session.scalars(select(NeedBacking.user_id).where(NeedBacking.need_id == need.id)))


# --- posting -------------------------------------------------------------------------------------

def test_a_resident_posts_a_need_and_backs_it(tree, resident):
    need = service.post_need(resident, tree["grid"], " 楼道灯坏了 ", "五楼", "5栋住户", "36", "community_safety")
    assert (need.title, need.status, need.backing_count) == ("楼道灯坏了", OPEN, 1)
    assert _backers(need) == [resident.id]


@pytest.mark.parametrize(("place_key", "title", "count", "category", "field"), [
    ("street", "楼道灯坏了", 0, None, "place"),  # a need is for a community or a grid
    ("grid", "  ", 0, None, "title"),
    ("grid", "楼道灯坏了", -3, None, "affected_count"),
    ("grid", "楼道灯坏了", 0, "astrology", "category"),
])
def test_bad_needs_are_refused(tree, resident, place_key, title, count, category, field):
    with pytest.raises(ValidationFailed) as refused:
        service.post_need(resident, tree[place_key], title, affected_count=count, category=category)
    assert refused.value.field == field
    assert db.session.scalar(select(func.count()).select_from(Need)) == 0


def test_a_grid_worker_posts_for_a_resident_in_their_grid_only(tree, grid_worker, resident):
    need = service.post_need(grid_worker, tree["grid"], "楼道灯坏了", on_behalf_of="张奶奶")
    assert need.on_behalf_of == "张奶奶"
    with pytest.raises(ValidationFailed) as refused:  # the neighbouring grid is not theirs
        service.post_need(grid_worker, tree["grid2"], "路灯不亮", on_behalf_of="李大爷")
    assert refused.value.field == "on_behalf_of"
    with pytest.raises(ValidationFailed):  # nor is a resident a grid worker
        service.post_need(resident, tree["grid"], "路灯不亮", on_behalf_of="李大爷")


# --- backing -------------------------------------------------------------------------------------

def test_each_person_backs_once(tree, resident):
    need = make_need(tree["community"], UserFactory())
    service.back_need(need, resident)
    assert need.backing_count == 2
    with pytest.raises(service.AlreadyBacked, match="already back"):
        service.back_need(need, resident)
    db.session.refresh(need)
    assert need.backing_count == 2 and len(_backers(need)) == 2


def test_the_count_moves_with_an_atomic_update_not_a_stale_read(tree):
    need = make_need(tree["community"], UserFactory())
    stale = need.backing_count
    db.session.execute(Need.__table__.update().where(Need.id == need.id).values(backing_count=5))  # another request
    service.back_need(need, UserFactory())
    assert need.backing_count == 6 != stale + 1


@pytest.mark.parametrize("status", [MERGED, DECLINED, ANSWERED])
def test_closed_needs_cannot_be_backed(tree, status):
    need = make_need(tree["community"], UserFactory(), status=status)
    with pytest.raises(IllegalTransition):
        service.back_need(need, UserFactory())


# --- triage --------------------------------------------------------------------------------------

def test_merging_moves_the_backings_counting_each_person_once(tree, worker):
    both, only_dup, only_main = UserFactory(), UserFactory(), UserFactory()
    main = make_need(tree["community"], only_main, title="独居老人吃饭难", backers=[both])
    duplicate = make_need(tree["grid"], only_dup, title="老人吃饭不方便", backers=[both])
    backer = UserFactory()
    make_need(tree["community"], backer)  # unrelated need keeps its backing
    service.merge_need(duplicate, main, worker)
    assert duplicate.status == MERGED and duplicate.merged_into_id == main.id
    assert _backers(main) == sorted([both.id, only_dup.id, only_main.id])
    assert _backers(duplicate) == []
    assert (main.backing_count, duplicate.backing_count) == (3, 0)
    assert db.session.scalar(select(func.count()).select_from(NeedBacking)) == 4
    # the backers of the merged need hear where their backing went
    told = set(db.session.scalars(select(Notification.user_id)))
    assert told == {both.id, only_dup.id, only_main.id}


def test_merging_into_another_community_or_a_closed_need_is_refused(tree, worker):
    need = make_need(tree["community"], UserFactory())
    other_community = make_need(tree["community2"], UserFactory())
    declined = make_need(tree["community"], UserFactory(), status=DECLINED)
    for target, message in ((other_community, "same community"), (declined, "open or accepted"),
                            (need, "itself"), (None, "Choose")):
        with pytest.raises(ValidationFailed, match=message):
            service.merge_need(need, target, worker)
    assert need.status == OPEN


def test_declining_needs_a_reason(tree, worker):
    need = make_need(tree["community"], UserFactory())
    with pytest.raises(ValidationFailed) as refused:
        service.decline_need(need, worker, "  ")
    assert refused.value.field == "reason" and need.status == OPEN
    service.decline_need(need, worker, "已转交区生态环境分局")
    assert need.status == DECLINED and need.decline_reason == "已转交区生态环境分局"
    assert need.triaged_by_id == worker.id


@pytest.mark.parametrize(("status", "step"), [
    (ACCEPTED, "accept"), (DECLINED, "accept"), (MERGED, "decline"), (ANSWERED, "decline"), (OPEN, "link")])
def test_illegal_triage_steps_are_409(tree, worker, status, step):
    need = make_need(tree["community"], UserFactory(), status=status)
    with pytest.raises(IllegalTransition) as refused:
        {"accept": lambda: service.accept_need(need, worker),
         "decline": lambda: service.decline_need(need, worker, "reason"),
         "link": lambda: service.link_need(need, worker, "project", 1)}[step]()
    assert refused.value.status_code == 409


def test_linking_an_accepted_need_to_a_project_answers_it(tree, worker):
    creator = UserFactory()
    organisation = make_organisation(creator, tree["community"], status=VERIFIED)
    project = make_project(organisation, creator, [tree["community"]], title="独居老人助餐服务")
    draft = make_project(organisation, creator, [tree["community"]], status="draft")
    need = make_need(tree["community"], UserFactory())
    service.accept_need(need, worker)
    with pytest.raises(ValidationFailed, match="published service project"):
        service.link_need(need, worker, "project", draft.id)
    with pytest.raises(ValidationFailed, match="published call for services"):
        service.link_need(need, worker, "tender", 1)
    service.link_need(need, worker, "project", project.id, "每天午餐")
    assert need.status == ANSWERED
    with pytest.raises(ValidationFailed, match="already linked"):
        service.link_need(need, worker, "project", project.id)
    assert db.session.scalar(select(func.count()).select_from(NeedLink)) == 1
    assert [n.id for n in service.needs_answered_by("project", project.id)] == [need.id]
    (step,) = service.chain_of(need)
    assert step.kind == "project" and step.title == "独居老人助餐服务"


# --- suggestions ---------------------------------------------------------------------------------

def test_similar_needs_come_from_the_same_community_and_are_still_open(tree):
    poster = UserFactory()
    same = make_need(tree["grid2"], poster, title="独居老人吃饭难，希望有老年食堂")
    make_need(tree["community2"], poster, title="独居老人吃饭难")  # another community
    make_need(tree["community"], poster, title="老人吃饭难", status=DECLINED)  # closed
    make_need(tree["community"], poster, title="小区停车难")  # unrelated
    suggestions = service.similar_needs(tree["grid"], "老人吃饭难")
    assert [s["id"] for s in suggestions] == [same.id]
    assert suggestions[0]["url"].endswith(f"/needs/{same.id}")
