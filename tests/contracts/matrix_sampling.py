"""Authorization-matrix rows for contracts: sampling (see tests/contracts/matrix.py).

The verifiers (community worker, buying official) draw and read samples; the contractor never sees the links.
The resident's confirm page is public (the token is the key); the grid worker of the records' grid visits."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect  # noqa: F401  (the rows' vocabulary)

VERIFIERS = expect(anonymous=LOGIN, official=200, community_worker=200, others=404)

ROUTES: dict = {
    "contracts.sample_draw": ("POST", "/contracts/{contract}/reports/{unsampled_report}/sample",
                              expect(anonymous=LOGIN, official=302, community_worker=302, others=404)),
    "contracts.sample_page": ("GET", "/contracts/{contract}/samples/{sample}", VERIFIERS),
    "contracts.confirm": ("GET", "/contracts/confirm/{sample_token}", PUBLIC),
    "contracts.visits": ("GET", "/contracts/visits", expect(anonymous=LOGIN, grid_worker=200, others=403)),
    "contracts.visit_answer": ("GET", "/contracts/visits/{sample_item}",
                               expect(anonymous=LOGIN, grid_worker=200, others=404)),
}


def world(tree, users, verified_org, contract, values) -> dict:
    """The delivery rows' report sampled (one token kept for the confirm page); a second report not sampled."""
    from portal.contracts import sampling
    from portal.contracts.models import DeliveryReport
    from portal.extensions import db
    from tests.factories.contracts import make_report

    report = db.session.get(DeliveryReport, values["delivery_report"])
    sample = sampling.draw_sample(report, users["official"])
    item = sample.items[0]
    unsampled = make_report(contract, contract.milestones[0], users["org_member"],
                            units_by_line={contract.lines[0].id: 3}, records=3, place=tree["grid"])
    return {"sample": sample.id, "sample_item": item.id, "unsampled_report": unsampled.id,
            "sample_token": sampling.item_token(sample.id, item.service_record_id, sample.seed)}
