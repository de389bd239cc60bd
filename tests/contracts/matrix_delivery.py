"""Authorization-matrix rows for contracts: delivery (see tests/contracts/matrix.py).

The contractor (org_member, admin of the contract's organisation) reports; the verifiers are the community
worker over the contract's place and the buying official. A report lists residents (names, phones), so its
page opens to those three only, as does its evidence."""
from tests.procurement.matrix_expect import LOGIN, expect  # noqa: F401  (the rows' vocabulary)

CONTRACTOR = expect(anonymous=LOGIN, org_member=200, others=404)
REPORT_READERS = expect(anonymous=LOGIN, org_member=200, official=200, community_worker=200, others=404)

ROUTES: dict = {
    "contracts.report_new": ("GET", "/contracts/{contract}/reports/new", CONTRACTOR),
    "contracts.report_records_template": ("GET", "/contracts/{contract}/reports/records-template.csv", CONTRACTOR),
    "contracts.report_page": ("GET", "/contracts/{contract}/reports/{delivery_report}", REPORT_READERS),
    "contracts.report_evidence": ("GET", "/contracts/{contract}/reports/{delivery_report}/evidence/{delivery_evidence}",
                                  REPORT_READERS),
    "contracts.report_resubmit": ("GET", "/contracts/{contract}/reports/{returned_report}/resubmit", CONTRACTOR),
    # an empty form gives no reason: 400, and the report stays
    "contracts.report_return": ("POST", "/contracts/{contract}/reports/{delivery_report}/return",
                                expect(anonymous=LOGIN, official=400, community_worker=400, others=404)),
    "contracts.report_verify": ("POST", "/contracts/{contract}/reports/{delivery_report}/verify",
                                expect(anonymous=LOGIN, official=302, community_worker=302, others=404)),
}


def world(tree, users, verified_org, contract, values) -> dict:
    """A submitted report with records in the grid and an evidence file; a returned report."""
    import io

    from werkzeug.datastructures import FileStorage

    from portal.contracts.models import RETURNED, DeliveryEvidence
    from portal.core.uploads import store_upload
    from portal.extensions import db
    from tests.factories.contracts import make_report
    from tests.factories.orgs import tiny_pdf

    milestone = contract.milestones[0]
    member = users["org_member"]
    report = make_report(contract, milestone, member, units_by_line={contract.lines[0].id: 20}, records=6,
                         place=tree["grid"])
    stored = store_upload(FileStorage(io.BytesIO(tiny_pdf()), "签到表.pdf"))
    evidence = DeliveryEvidence(report_id=report.id, original_name=stored.original_name,
                                content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                                storage_key=stored.storage_key)
    db.session.add(evidence)
    returned = make_report(contract, milestone, member, units_by_line={contract.lines[0].id: 5}, status=RETURNED,
                           records=2, place=tree["grid"])
    returned.return_reason = "签到表缺失"
    db.session.flush()
    return {"delivery_report": report.id, "delivery_evidence": evidence.id, "returned_report": returned.id}
