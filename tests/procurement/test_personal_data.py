"""A person's questions on calls, roadshow votes and objections are in their personal-data download."""
from portal.accounts import roles, service
from portal.procurement import questions
from tests.factories.accounts import UserFactory, grant
from tests.factories.places import make_tree
from tests.factories.procurement import make_call, make_department


def test_the_download_carries_the_questions_a_person_asked(app, clock):
    tree = make_tree()
    official, resident = UserFactory(), UserFactory()
    grant(official, roles.OFFICIAL, tree["district"])
    call = make_call(make_department(tree["district"]), official)
    asked = questions.ask_question(call, resident, "送餐服务是否包含周末？")

    data = service.export_personal_data(resident)

    assert [(row["id"], row["call_id"], row["question"]) for row in data["call_questions"]] == [
        (asked.id, call.id, "送餐服务是否包含周末？")]
    assert data["roadshow_votes"] == [] and data["objections_filed"] == []
    assert service.export_personal_data(official)["call_questions"] == []
