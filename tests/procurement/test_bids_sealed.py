"""THE SEALED TEST: before the deadline no page, export, audit record, log or role reads a bid's content or
price, and the stored column is not plaintext.

The matrix's world (tests/test_authorization_matrix.py) holds a published call with a sealed bid of
123,456.78 yuan whose approach carries a distinctive phrase (tests/procurement/matrix_bids.py). Every GET
route of the app is visited as every role: with the matrix's ids, and again with the sealed call's and bid's
ids wherever a route takes a call or a bid. Neither the phrase nor the price in any format may appear."""
import logging

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.procurement.models import Bid, BidFile
from tests.procurement.bids_world import PDF, form_data
from tests.procurement.matrix_bids import SEALED_PHRASE, SEALED_PRICE_MINOR
from tests.test_authorization_matrix import ROLES, ROUTES, world  # noqa: F401  (the matrix's world fixture)

NEEDLES = (SEALED_PHRASE, "SEALED-PHRASE", "蓝色风车上门方案", str(SEALED_PRICE_MINOR), "123456.78", "123,456.78",
           "123 456.78", "123456,78")
SEALED_IDS = {"call_id": "bids_call", "bid_id": "sealed_bid"}
# a library shipped as a file, the same bytes for everyone and no data in it (plotly's minified source happens
# to contain the digits 12345678)
FIXED_FILES = {"vendor.plotly_js"}


def _leaks(body: bytes) -> list[str]:
    text = body.decode("utf-8", errors="replace")
    return [needle for needle in NEEDLES if needle in text]


def _urls(app, values) -> list[tuple[str, str]]:
    """Every GET route: its matrix URL, and for routes taking only a call and/or a bid, the sealed ones."""
    urls = [(endpoint, template.format(**values)) for endpoint, (method, template, _e) in sorted(ROUTES.items())
            if method == "GET" and endpoint not in FIXED_FILES]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.arguments or not rule.arguments <= SEALED_IDS.keys():
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", str(values[SEALED_IDS[argument]]))
        urls.append((rule.endpoint, path))
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_no_page_or_export_shows_a_sealed_bid_to_any_role_before_the_deadline(app, client, login_as, world, role):  # noqa: F811
    users, values = world
    assert db.session.get(Bid, values["sealed_bid"]).call.status == "published"
    if role != "anonymous":
        login_as(users[role])
    leaks = []
    for endpoint, url in _urls(app, values):
        response = client.get(url)
        found = _leaks(response.get_data())
        response.close()
        if found:
            leaks.append(f"GET {url} ({endpoint}) as {role}: {found}")
        if endpoint == "accounts.set_language":
            client.get("/lang/zh").close()
    assert not leaks, "\n".join(leaks)


def test_the_walk_reaches_the_sealed_bids_own_pages(app, world):  # noqa: F811
    """The walk above is only worth something if it visits the pages that know the bid."""
    _users, values = world
    visited = {url for _endpoint, url in _urls(app, values)}
    call, bid = values["bids_call"], values["sealed_bid"]
    assert {f"/procurement/calls/{call}/bids/{bid}/receipt", f"/procurement/calls/{call}/bid",
            f"/procurement/calls/{call}/opening", "/procurement/my-bids", "/admin/audit/export.csv"} <= visited


def _submit_distinctive_bid(market, client, login_as):
    """Through the form: 1 x 1,000 h x ¥100 + ¥20,000 + ¥3,456.78 = ¥123,456.78, with the phrase and a file."""
    import io

    login_as(market.admin)
    data = form_data(market.lot, market.org, approach=f"{SEALED_PHRASE}：上门探访", **{
        "staff-0-people": "1", "staff-0-hours": "1000", "staff-0-rate": "100", "materials": "20000",
        "overheads": "3456.78"})
    data["files"] = [(io.BytesIO(PDF + SEALED_PHRASE.encode()), "方案.pdf")]
    response = client.post_form(f"/procurement/calls/{market.call.id}/bid", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return db.session.scalar(select(Bid).where(Bid.call_id == market.call.id))


def test_a_real_submission_leaves_no_content_or_price_in_the_audit_log_or_the_logs(market, client, login_as, caplog):
    caplog.set_level(logging.DEBUG)
    bid = _submit_distinctive_bid(market, client, login_as)
    events = db.session.scalars(select(AuditEvent)).all()
    assert any(event.action == "bid.submitted" and event.object_id == str(bid.id) for event in events)
    for event in events:
        assert not _leaks(repr((event.before, event.after)).encode()), event.action
    assert not _leaks(caplog.text.encode())


def test_a_real_submission_is_not_in_the_admins_audit_export(market, client, login_as):
    from portal.accounts import roles
    from tests.factories.accounts import UserFactory, grant

    _submit_distinctive_bid(market, client, login_as)
    admin = UserFactory()
    grant(admin, roles.PLATFORM_ADMIN)
    client.post("/logout", data={"csrf_token": client.csrf_token("/")})
    login_as(admin)
    export = client.get("/admin/audit/export.csv")
    assert export.status_code == 200 and b"bid.submitted" in export.get_data()
    assert not _leaks(export.get_data())


def test_the_stored_bid_and_its_files_are_not_plaintext(market, client, login_as, app):
    from pathlib import Path

    from sqlalchemy import text

    bid = _submit_distinctive_bid(market, client, login_as)
    stored = bytes(db.session.execute(text("SELECT sealed_content FROM bids WHERE id = :id"),
                                      {"id": bid.id}).scalar())
    assert SEALED_PHRASE.encode() not in stored and str(SEALED_PRICE_MINOR).encode() not in stored
    bid_file = db.session.scalar(select(BidFile).where(BidFile.bid_id == bid.id))
    on_disk = (Path(app.config["UPLOAD_DIR"]) / bid_file.storage_key).read_bytes()
    assert SEALED_PHRASE.encode() not in on_disk and b"%PDF" not in on_disk


def test_after_the_opening_the_same_walk_finds_the_price_so_the_walk_can_see_a_leak(app, client, login_as, world,  # noqa: F811
                                                                                     clock):
    users, values = world
    clock.move(days=10, minutes=1)
    login_as(users["org_member"])
    found = set()
    for _endpoint, url in _urls(app, values):
        response = client.get(url)
        found.update(_leaks(response.get_data()))
        response.close()
    assert {"123,456.78", SEALED_PHRASE} <= found
