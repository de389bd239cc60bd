"""Delivery report pages: the form (bad input: a message, nothing stored), verify / return, a verified report
edited (409), the contract page's delivery section and its query count."""
import io

from flask import render_template
from sqlalchemy import func, select

from portal.contracts import delivery
from portal.contracts.models import RETURNED, SUBMITTED, VERIFIED, DeliveryReport, ServiceRecord
from portal.contracts.views.delivery import delivery_section
from portal.extensions import db
from tests.contracts.delivery_world import world_fixture  # noqa: F401
from tests.factories.contracts import make_report
from tests.factories.orgs import tiny_pdf, tiny_png

EN = {"Accept-Language": "en"}


def _form(world, **overrides):
    contract = world.contract
    start = contract.starts_on.isoformat()
    data = {"milestone": str(world.milestone.id), "period_start": start, "period_end": start,
            f"units_{contract.lines[0].id}": "2", f"units_{contract.lines[1].id}": "0",
            "narrative": "上门服务两次",
            "rec-0-line": "1", "rec-0-kind": "person", "rec-0-label": "王阿姨", "rec-0-grid_code": "",
            "rec-0-phone": "13800000001", "rec-0-served_on": start, "rec-0-units": "1"}
    data.update(overrides)
    return data


def _reports() -> int:
    return db.session.scalar(select(func.count()).select_from(DeliveryReport))


def _new(world):
    return f"/contracts/{world.contract.id}/reports/new"


def test_the_contractor_reports_delivery(client, login_as, world):
    login_as(world.contractor)
    response = client.post_form(_new(world), _form(world, evidence=(io.BytesIO(tiny_pdf()), "签到表.pdf")),
                                content_type="multipart/form-data")
    assert response.status_code == 302
    report = db.session.scalar(select(DeliveryReport))
    assert (report.status, len(report.records), len(report.evidence)) == (SUBMITTED, 1, 1)


def test_negative_units_on_the_form_are_refused_and_nothing_stored(client, login_as, world):
    login_as(world.contractor)
    response = client.post_form(_new(world), _form(world, **{f"units_{world.contract.lines[0].id}": "-2"}))
    assert response.status_code == 400
    assert "must be a whole number, 0 or more" in response.get_data(as_text=True)
    assert _reports() == 0


def test_a_disguised_file_on_the_form_is_refused_and_nothing_stored(client, login_as, world):
    login_as(world.contractor)
    response = client.post_form(_new(world), _form(world, evidence=(io.BytesIO(tiny_png()), "签到表.pdf")),
                                content_type="multipart/form-data")
    assert response.status_code == 400
    assert "its content is a PNG file" in response.get_data(as_text=True)
    assert _reports() == 0


def test_a_csv_with_a_bad_line_shows_the_line_and_stores_nothing(client, login_as, world):
    login_as(world.contractor)
    start = world.contract.starts_on.isoformat()
    csv_data = f"line,label,served_on,units\n1,李叔叔,{start},1\n1,,{start},1\n".encode()
    response = client.post_form(_new(world), _form(world, records_csv=(io.BytesIO(csv_data), "records.csv")),
                                content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<td class="num">3</td><td>label</td>' in html
    assert db.session.scalar(select(func.count()).select_from(ServiceRecord)) == 0


def test_the_csv_template_names_the_columns(client, login_as, world):
    login_as(world.contractor)
    response = client.get(f"/contracts/{world.contract.id}/reports/records-template.csv")
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith("line,kind,label,grid_code,phone,served_on")


def test_returning_without_a_reason_is_refused(client, login_as, world):
    report = make_report(world.contract, world.milestone, world.contractor)
    login_as(world.worker)
    url = f"/contracts/{world.contract.id}/reports/{report.id}"
    response = client.post_form(f"{url}/return", {"reason": ""}, token_from=url)
    assert response.status_code == 400
    assert "Say what is missing or wrong" in response.get_data(as_text=True)
    assert db.session.get(DeliveryReport, report.id).status == SUBMITTED


def test_the_community_worker_returns_with_a_reason(client, login_as, world):
    report = make_report(world.contract, world.milestone, world.contractor)
    login_as(world.worker)
    url = f"/contracts/{world.contract.id}/reports/{report.id}"
    assert client.post_form(f"{url}/return", {"reason": "签到表缺失"}, token_from=url).status_code == 302
    report = db.session.get(DeliveryReport, report.id)
    assert (report.status, report.return_reason) == (RETURNED, "签到表缺失")


def test_editing_a_verified_report_is_409_and_changes_nothing(client, login_as, world):
    report = make_report(world.contract, world.milestone, world.contractor, status=VERIFIED)
    login_as(world.contractor)
    url = f"/contracts/{world.contract.id}/reports/{report.id}/resubmit"
    page = client.get(url)
    assert page.status_code == 409
    assert "verified and never changes" in page.get_data(as_text=True)
    response = client.post_form(url, _form(world), token_from=f"/contracts/{world.contract.id}/reports/new")
    assert response.status_code == 409
    assert [line.units for line in db.session.get(DeliveryReport, report.id).lines] == [100, 100]


def test_a_returned_report_is_corrected_on_the_form(client, login_as, world):
    report = make_report(world.contract, world.milestone, world.contractor, status=RETURNED, records=0)
    login_as(world.contractor)
    url = f"/contracts/{world.contract.id}/reports/{report.id}/resubmit"
    assert client.post_form(url, _form(world)).status_code == 302
    report = db.session.get(DeliveryReport, report.id)
    assert (report.status, [line.units for line in report.lines]) == (SUBMITTED, [2, 0])


def test_the_contract_section_shows_the_verified_share(app, world):
    from portal.contracts import sampling

    report = make_report(world.contract, world.milestone, world.contractor, status=VERIFIED, records=5)
    items = sampling.draw_sample(report, world.worker).items
    for item, happened in zip(items, ["yes", "yes", "yes", "no"], strict=False):
        sampling.answer_by_link(item, happened, "4", "")
    with app.test_request_context(headers=EN):
        template, context = delivery_section(world.contract, world.official)
        html = render_template(template, contract=world.contract, **context)
    assert "Verified share: 75%" in html
    assert "4/5 answered" in html


def test_the_contract_section_query_count_does_not_grow(app, world, count_queries):
    def count():
        db.session.expire_all()
        with app.test_request_context(headers=EN), count_queries() as statements:
            template, context = delivery_section(world.contract, world.official)
            render_template(template, contract=world.contract, **context)
        return len(statements)

    make_report(world.contract, world.milestone, world.contractor, units_by_line=dict.fromkeys(
        (line.id for line in world.contract.lines), 1), records=1)
    count()  # warm-up: what the first rendering loads once
    few = count()
    for _ in range(4):
        make_report(world.contract, world.milestone, world.contractor, units_by_line=dict.fromkeys(
            (line.id for line in world.contract.lines), 1), records=1)
    assert count() == few
    assert delivery.reports_of(world.contract)


def test_a_contractor_who_is_also_a_community_worker_cannot_verify_their_report(client, login_as, world):
    from portal.accounts import roles
    from tests.factories.accounts import grant

    grant(world.contractor, roles.COMMUNITY_WORKER, world.tree["community"])
    report = make_report(world.contract, world.milestone, world.contractor)
    login_as(world.contractor)
    url = f"/contracts/{world.contract.id}/reports/{report.id}"
    assert client.post_form(f"{url}/verify", {}, token_from=url).status_code == 404
    assert db.session.get(DeliveryReport, report.id).status == SUBMITTED


def test_the_report_page_query_count_does_not_grow_with_records(client, login_as, world, count_queries):
    login_as(world.worker)

    def count(records):
        report = make_report(world.contract, world.milestone, world.contractor, records=records,
                             place=world.tree["grid"], units_by_line={line.id: 0 for line in world.contract.lines})
        url = f"/contracts/{world.contract.id}/reports/{report.id}"
        client.get(url)
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    assert count(2) == count(30)


def test_the_contract_page_shows_the_delivery_section(client, world):
    make_report(world.contract, world.milestone, world.contractor, status=VERIFIED, records=2)
    html = client.get(f"/contracts/{world.contract.id}", headers=EN).get_data(as_text=True)
    assert "Delivery and residents&#39; check" in html or "Delivery and residents' check" in html
    assert "No sampled resident has answered yet." in html
