"""Authorization-matrix rows for procurement: catalogue (see tests/procurement/matrix.py).

The world's official holds the official role on the district, where the department sits and the verified
organisation is qualified; the platform administrator is not a buyer (403 on the buyers' pages, 404 on a
department's)."""
# The matrix's own names (tests/test_authorization_matrix.py imports this module first, so they are restated here)
ROLES = ("anonymous", "resident", "org_member", "official", "admin", "treasurer", "committee", "community_worker",
         "grid_worker", "evaluator")
LOGIN = "302 to sign-in"


def expect(others=None, **codes) -> dict:
    answers = {role: codes.get(role, others) for role in ROLES}
    assert set(codes) <= set(ROLES) and None not in answers.values()
    return answers


PUBLIC = expect(others=200)
BUYERS = expect(anonymous=LOGIN, official=200, others=403)

ROUTES: dict = {
    "procurement.catalogue_list": ("GET", "/procurement/catalogue", PUBLIC),
    "procurement.department_new": ("POST", "/procurement/departments/new",
                                   expect(anonymous=LOGIN, official=400, others=403)),  # no place, no name
    "procurement.item_new": ("GET", "/procurement/departments/{department}/items/new",
                             expect(anonymous=LOGIN, official=200, others=404)),
    "procurement.item_edit": ("POST", "/procurement/catalogue/items/{catalogue_item}/edit",
                              expect(anonymous=LOGIN, official=302, others=404)),  # fields not sent keep their values
    "procurement.catalogue_import_csv": ("GET", "/procurement/departments/{department}/import",
                                         expect(anonymous=LOGIN, official=200, others=404)),
    "procurement.catalogue_template": ("GET", "/procurement/catalogue/template.csv", BUYERS),
    "procurement.qualified_list": ("GET", "/procurement/qualified", PUBLIC),
    "procurement.qualification_new": ("GET", "/procurement/qualified/new", BUYERS),
    "procurement.qualification_revoke": ("POST", "/procurement/qualified/{qualification}/revoke",
                                         expect(anonymous=LOGIN, official=400, others=404)),  # no reason
    "procurement.minimum_wages": ("GET", "/procurement/minimum-wages", BUYERS),
}


def world(tree, users, verified_org, department, values) -> dict:
    """Ids these rows need, made in the matrix's world."""
    from tests.factories.procurement import make_catalogue_item, qualify

    item = make_catalogue_item(department)
    qualification = qualify(verified_org, tree["district"], users["official"])
    return {"catalogue_item": item.id, "qualification": qualification.id}
