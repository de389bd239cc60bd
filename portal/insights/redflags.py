"""Procurement red flags (issue 14, item 5): the flags of analytics/redflags.py over the portal's data, stored
as a snapshot per year (portal/insights/snapshots.py), and who sees which.

Who sees what: officials (anywhere) and platform administrators see every flag. Everyone else sees the flags
that rest only on public facts (procurement transparency): all but `low_winner` and `close_runner_up`, which
rest on the opening record and the ranking, published to the buyer, the bidders and the panel only (the
table in analytics/redflags.py says why for each).

The runner-up's score is not stored anywhere: the ranking computes it (portal/procurement/ranking.py,
`rank_call`), so the snapshot asks the ranking itself for every awarded call with two or more opened bids
(`rank_calls`: the same rankings, each read one query for all the calls), and the gap shown is the one the
ranking page shows.
"""
import math
from datetime import timedelta

import pandas as pd
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from analytics import procurement as datasets
from analytics import redflags
from portal.accounts import roles
from portal.accounts.scopes import is_platform_admin, places_with_role
from portal.core.formatting import money
from portal.core.time import utcnow
from portal.extensions import db
from portal.insights.snapshots import read, snapshot
from portal.orgs.models import SERVICE_AREAS
from portal.procurement.models import Call
from portal.procurement.ranking import rank_calls

SNAPSHOT = "redflags.flags"
TOTAL_COLUMNS = ["call_id", "lot_id", "bid_id", "organisation_id", "total"]


def can_see_restricted_flags(user) -> bool:
    """Officials and platform administrators see the flags resting on non-public data (the opening record and
    the ranking); asked by the page and by the service's filter alike."""
    if not user.is_authenticated:
        return False
    return is_platform_admin(user) or bool(places_with_role(user, roles.OFFICIAL))


def visible_kinds(user) -> tuple[str, ...]:
    return redflags.FLAG_KINDS if can_see_restricted_flags(user) else redflags.PUBLIC_KINDS


def ranked_totals(call_ids: list[int]) -> pd.DataFrame:
    """Every ranked bid's total (points of 100) of the given calls, as the ranking computes it (`rank_calls`:
    the same rankings as `rank_call`, its reads batched over all the calls)."""
    rows = []
    if call_ids:
        calls = list(db.session.scalars(select(Call).options(selectinload(Call.lots), selectinload(Call.criteria))
                                        .where(Call.id.in_(sorted(call_ids))).order_by(Call.id)))
        rankings = rank_calls(calls, notes=False)
        for call in calls:
            for lot_ranking in rankings[call.id]:
                rows.extend({"call_id": call.id, "lot_id": lot_ranking.lot.id, "bid_id": row.bid.id,
                             "organisation_id": row.bid.organisation_id, "total": row.total}
                            for row in lot_ranking.ranked)
    return pd.DataFrame(rows, columns=TOTAL_COLUMNS)


def frames(connection) -> dict:
    """The datasets the flags read, and the ranked totals of awarded calls with competition."""
    calls = datasets.call_frame(connection)
    awards = datasets.award_frame(connection)
    contested = set(calls.loc[calls["tenderers"] >= 2, "id"]) if not calls.empty else set()
    awarded = sorted({int(call_id) for call_id in awards["call_id"] if call_id in contested}) if not awards.empty \
        else []
    return {"calls": calls, "awards": awards, "contracts": datasets.contract_frame(connection),
            "amendments": datasets.amendment_frame(connection), "payments": datasets.payment_frame(connection),
            "deliveries": datasets.delivery_frame(connection),
            "scope_requests": datasets.scope_request_frame(connection), "totals": ranked_totals(awarded)}


def _plain(value):
    """A JSON-able copy of a frame's cell (numpy numbers, NaN and NaT become int, float, None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def flag_records(flags: pd.DataFrame) -> list[dict]:
    return [{name: _plain(value) for name, value in row.items()} for row in flags.to_dict("records")]


@snapshot(SNAPSHOT, max_age=timedelta(minutes=30), defaults=[{}])
def compute_flags(params: dict) -> dict:
    year = params.get("year")
    data = frames(db.session)
    flags = redflags.all_flags(data, year=year)
    flags = flags.sort_values(["kind", "department", "reference"], na_position="last", kind="stable")
    departments = sorted({(int(r.department_id), r.department) for r in data["calls"].itertuples()} |
                         {(int(r.department_id), r.department) for r in data["contracts"].itertuples()},
                         key=lambda pair: (pair[1], pair[0]))
    years = sorted({int(y) for y in data["calls"]["published_at"].dt.year.dropna()} |
                   {int(y) for y in data["awards"]["decided_at"].dt.year.dropna()}) if not data["calls"].empty \
        else []
    return {"flags": flag_records(flags), "departments": [list(pair) for pair in departments], "years": years}


def flags_for(user, *, year: int | None = None, department_id: int | None = None,
              kind: str | None = None) -> tuple[dict, object]:
    """(payload, computed_at): the snapshot's flags the user may see, narrowed by the filters. The payload also
    carries the departments and years to offer as filters, and `restricted` (kinds this user does not see)."""
    payload, computed_at = read(SNAPSHOT, {"year": year} if year is not None else {})
    kinds = visible_kinds(user)
    shown = [flag for flag in payload["flags"] if flag["kind"] in kinds
             and (department_id is None or flag["department_id"] == department_id)
             and (kind is None or flag["kind"] == kind)]
    counts = {name: 0 for name in kinds}
    for flag in payload["flags"]:
        if flag["kind"] in counts and (department_id is None or flag["department_id"] == department_id):
            counts[flag["kind"]] += 1
    return {"flags": shown, "counts": counts, "departments": payload["departments"], "years": payload["years"],
            "restricted": [name for name in redflags.FLAG_KINDS if name not in kinds]}, computed_at


def current_year() -> int:
    return utcnow().year


# --- what each kind is called and how a flag explains itself (shown on the page) -----------------------------
KIND_LABELS = {
    redflags.SINGLE_BID: _l("Single bid"),
    redflags.SHORT_PERIOD: _l("Short bidding period"),
    redflags.LOW_WINNER: _l("Abnormally low winner"),
    redflags.CLOSE_RUNNER_UP: _l("Winner close to the runner-up"),
    redflags.REPEATED_WINNER: _l("Repeated winner"),
    redflags.DIRECT_AWARD_SHARE: _l("Direct-award share"),
    redflags.AMENDMENT_INFLATION: _l("Amendment inflation"),
    redflags.PAID_BEFORE_VERIFIED: _l("Paid before verified"),
    redflags.OUT_OF_SCOPE_SHARE: _l("Out-of-scope requests"),
    redflags.HHI: _l("Concentrated awards (HHI)"),
}
KIND_RULES = {
    redflags.SINGLE_BID: _l("A competitive call opened with one bid only."),
    redflags.SHORT_PERIOD: _l("A competitive call took bids for under %(days)d days.", days=redflags.SHORT_PERIOD_DAYS),
    redflags.LOW_WINNER: _l("The winning bid was flagged abnormally low at the opening (officials only: it rests "
                            "on the other bids' prices)."),
    redflags.CLOSE_RUNNER_UP: _l("The winner led the best other bid by under %(points)s points of 100 (officials "
                                 "only: it rests on the ranking).", points=f"{redflags.CLOSE_GAP_POINTS:g}"),
    redflags.REPEATED_WINNER: _l("One organisation won more than half of a buyer's last %(window)d awards (at "
                                 "least %(minimum)d).", window=redflags.REPEAT_WINDOW,
                                 minimum=redflags.REPEAT_MINIMUM),
    redflags.DIRECT_AWARD_SHARE: _l("Direct grants were over %(share)d%% of a buyer's award value.",
                                    share=round(redflags.DIRECT_SHARE * 100)),
    redflags.AMENDMENT_INFLATION: _l("Amendments raised a contract's value by over %(warning)d%% (over %(severe)d%%: "
                                     "severe).", warning=round(redflags.AMENDMENT_WARNING * 100),
                                     severe=round(redflags.AMENDMENT_SEVERE * 100)),
    redflags.PAID_BEFORE_VERIFIED: _l("A milestone was paid more than its delivery verified by then was worth."),
    redflags.OUT_OF_SCOPE_SHARE: _l("Over %(share)d%% of the requests a buyer made of its contractors cited no "
                                    "contract line (at least %(minimum)d requests).",
                                    share=round(redflags.OUT_OF_SCOPE_SHARE_LIMIT * 100),
                                    minimum=redflags.OUT_OF_SCOPE_MINIMUM),
    redflags.HHI: _l("A buyer's award value in a category is highly concentrated: HHI above %(limit)d (at least "
                     "%(minimum)d awards).", limit=round(redflags.HHI_THRESHOLD), minimum=redflags.HHI_MINIMUM),
}


def _percent(share) -> str:
    return format_decimal(round(float(share) * 100, 1))


def explain(flag: dict) -> str:
    """The sentence that says what was measured against what, for one flag."""
    kind, measure, threshold = flag["kind"], flag["measure"], flag["threshold"]
    if kind == redflags.SINGLE_BID:
        return _("Only one organisation bid on this competitive call.")
    if kind == redflags.SHORT_PERIOD:
        return _("Bids were taken for %(days)s days, under the %(limit)s days a competitive call should allow.",
                 days=format_decimal(measure), limit=format_decimal(threshold))
    if kind == redflags.LOW_WINNER:
        return _("%(organisation)s won with a bid flagged abnormally low at the opening: its price had to be "
                 "explained.", organisation=flag["organisation"])
    if kind == redflags.CLOSE_RUNNER_UP:
        if measure < 0:
            return _("A bid that did not win scored %(points)s points more than a winner.",
                     points=format_decimal(-measure))
        return _("The winner led the best other bid by %(points)s points of 100, under %(limit)s.",
                 points=format_decimal(measure), limit=format_decimal(threshold))
    if kind == redflags.REPEATED_WINNER:
        return _("%(organisation)s won %(count)d of the buyer's last %(total)d awards (%(share)s%%, over "
                 "%(limit)s%%).", organisation=flag["organisation"], count=flag["count"], total=flag["total"],
                 share=_percent(measure), limit=_percent(threshold))
    if kind == redflags.DIRECT_AWARD_SHARE:
        return _("Direct grants were %(share)s%% of the buyer's award value (%(count)d of %(total)d awards), over "
                 "%(limit)s%%.", share=_percent(measure), count=flag["count"], total=flag["total"],
                 limit=_percent(threshold))
    if kind == redflags.AMENDMENT_INFLATION:
        return _("Amendments raised the contract's value by %(share)s%% of the original, over %(limit)s%%.",
                 share=_percent(measure), limit=_percent(threshold))
    if kind == redflags.PAID_BEFORE_VERIFIED:
        return _("A payment brought the milestone's paid total to %(paid)s, %(excess)s more than the delivery "
                 "verified by then was worth.", paid=money(flag["total"]), excess=money(measure))
    if kind == redflags.OUT_OF_SCOPE_SHARE:
        return _("%(count)d of the %(total)d requests logged on the buyer's contracts cited no contract line "
                 "(%(share)s%%, over %(limit)s%%).", count=flag["count"], total=flag["total"],
                 share=_percent(measure), limit=_percent(threshold))
    if kind == redflags.HHI:
        return _("The buyer's %(total)d awards in %(category)s went to %(count)d organisations; their shares of the "
                 "award value give an HHI of %(index)s out of 10,000, above %(limit)s (highly concentrated: few "
                 "organisations share the money). The link opens the latest call won by the largest, "
                 "%(organisation)s.",
                 category=SERVICE_AREAS.get(flag["category"], flag["category"]), count=flag["count"],
                 total=flag["total"], index=format_decimal(round(measure)), limit=format_decimal(threshold),
                 organisation=flag["organisation"])
    return ""
