"""/admin/roles lists assignments with the user's and the scope's names in a fixed number of queries."""
from portal.accounts import roles
from tests.factories.accounts import UserFactory, grant
from tests.factories.funds import make_fund
from tests.factories.orgs import make_organisation
from tests.factories.places import make_tree


def _assignments(tree, count):
    """`count` users, each holding a role on a place, an organisation and a fund of their own."""
    for _ in range(count):
        user = UserFactory()
        grant(user, roles.COMMUNITY_WORKER, tree["community"])
        grant(user, roles.ORG_ADMIN, make_organisation(user, tree["community"]))
        grant(user, roles.TREASURER, make_fund(tree["community"]))
        grant(user, roles.EVALUATOR)


def test_the_roles_list_does_not_grow_with_assignments(client, login_as, count_queries):
    tree = make_tree()
    admin = UserFactory()
    grant(admin, roles.PLATFORM_ADMIN)
    login_as(admin)
    _assignments(tree, 1)
    with count_queries() as few:
        assert client.get("/admin/roles").status_code == 200
    _assignments(tree, 6)
    with count_queries() as many:
        response = client.get("/admin/roles")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("/revoke") == 29  # 7 users x 4 roles + the admin's own
    assert len(many) == len(few), "\n".join(many)


def test_the_roles_list_names_the_scope(client, login_as):
    tree = make_tree()
    admin = UserFactory()
    grant(admin, roles.PLATFORM_ADMIN)
    worker = UserFactory(display_name="社工小吴")
    grant(worker, roles.COMMUNITY_WORKER, tree["community"])
    fund = make_fund(tree["community"], name="铁路坝社区基金")
    grant(worker, roles.TREASURER, fund)
    login_as(admin)
    html = client.get("/admin/roles").get_data(as_text=True)
    assert tree["community"].name in html and "铁路坝社区基金" in html and "社工小吴" in html
