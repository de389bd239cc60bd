"""Procurement red flags: pure functions over the frames of analytics/procurement.py. No I/O, no Flask.

A red flag is a reason to look, not a finding: each row says which call or contract to open and what was
measured against which threshold. Every flag, its formula and its threshold:

| kind | per | formula | flagged when | public | counterpart |
|---|---|---|---|---|---|
| single_bid | call | opened bids (valid or disqualified), competitive | = 1 | yes (1) | cardinal R018 |
| short_period | call | days from publication to bid deadline, competitive | < 10 days | yes (2) | cardinal R003 |
| low_winner | award | winning bid flagged abnormally low at the opening (3) | flagged | no (4) | cardinal R058 |
| close_runner_up | lot | weakest winner's total - best non-winner's total (5) | < 2 points | no (6) | cardinal R024 |
| repeated_winner | buyer x org | share of the buyer's last 10 awards won by one org | > 50%, >= 3 | yes | OCP (7) |
| direct_award_share | buyer | direct-grant award value / all award value | > 30% | yes | OCP (8) |
| amendment_inflation | contract | amendments in force: value change / original | > 15%; > 30% | yes | OCP (9) |
| paid_before_verified | payment | paid on the milestone - verified by then (10) | > 0 | yes (11) | OCP (12) |
| out_of_scope_share | buyer | scope requests citing no contract line / all | > 20%, >= 5 | yes | none (13) |
| hhi | buyer x category | sum over winners of (% of award value)^2, 0-10000 | > 2500, >= 3 | yes | (14) |

Competitive modes: open tender, application call, contest (a direct grant invites one organisation). Notes:
(1) the number of tenderers is open data (OCDS `tender.numberOfTenderers`). (2) both dates are on the call
page; 10 days is the shortest bidding time of a competitive consultation (竞争性磋商) in Chinese rules, cardinal
defaults to 15. (3) portal/procurement/lowprice.py: 40% under the mean of the other bids, 30% under the next
lowest, or staff cost under the minimum wage; the flag reuses its outcome (the review), whatever was decided.
(4) it rests on the other bids' prices: the opening record is the buyer's and the bidders' only. (5) totals as
the ranking computes them (portal/procurement/ranking.py), points of 100; a negative gap (a loser scored higher
than a winner) is flagged too; cardinal's R024 compares prices, here price is not lowest-wins so the scores
are compared. (6) the ranking is the buyer's and the panel's only. (7) the OCP red-flag guide's "high number
of contract awards to one supplier". (8) its "non-competitive (direct) award"; cardinal has none. (9) its
"large difference between the contract award and the final contract amount"; 15% is also the portal's
second-official limit (portal/contracts/models.py). (10) verified value = units of the milestone's reports
verified at or before the payment x unit price. (11) payments and a milestone's payable computation are
public. (12) the guide's implementation-phase flags on payments not matched by delivery. (13) local: a buyer
using its contractor as unpaid staff (内部化). The minimum counts (>= 3, >= 5) keep a buyer with one or
two awards from being flagged by arithmetic alone. (14) 2500 is "highly concentrated" in the US merger guidelines;
the OCP guide speaks of market concentration, cardinal has no counterpart.

The portal itself never pays beyond verified value (portal/contracts/payments.py checks the payable amount
inside the contract's row lock), so `paid_before_verified` should stay empty for payments made here; it is
still computed, for data imported from elsewhere or written around the service. Its verified value counts
raw verified units x unit price, before residents' denials and the quality factor, which only lower what may
be paid: the flag is conservative.

Year filters: call flags take the year of publication, award flags the year of the decision, contract flags
the year of signing, payments the year of payment; the per-buyer flags are computed over the frames given
(the caller filters a year first with `in_year`).
"""
import pandas as pd

SINGLE_BID, SHORT_PERIOD, LOW_WINNER, CLOSE_RUNNER_UP = "single_bid", "short_period", "low_winner", "close_runner_up"
REPEATED_WINNER, DIRECT_AWARD_SHARE = "repeated_winner", "direct_award_share"
AMENDMENT_INFLATION = "amendment_inflation"
PAID_BEFORE_VERIFIED, OUT_OF_SCOPE_SHARE, HHI = "paid_before_verified", "out_of_scope_share", "hhi"
FLAG_KINDS = (SINGLE_BID, SHORT_PERIOD, LOW_WINNER, CLOSE_RUNNER_UP, REPEATED_WINNER, DIRECT_AWARD_SHARE,
              AMENDMENT_INFLATION, PAID_BEFORE_VERIFIED, OUT_OF_SCOPE_SHARE, HHI)
# Flags that rest on data the public may not see (see the table above): shown to officials and admins only.
NON_PUBLIC_KINDS = frozenset({LOW_WINNER, CLOSE_RUNNER_UP})
PUBLIC_KINDS = tuple(kind for kind in FLAG_KINDS if kind not in NON_PUBLIC_KINDS)

COMPETITIVE_MODES = ("open_tender", "application_call", "contest")  # portal.procurement.models' codes
DIRECT_GRANT = "direct_grant"
SHORT_PERIOD_DAYS = 10  # the shortest bidding time of a competitive consultation (竞争性磋商) under Chinese rules
CLOSE_GAP_POINTS = 2.0
REPEAT_WINDOW, REPEAT_SHARE, REPEAT_MINIMUM = 10, 0.5, 3
DIRECT_SHARE = 0.3
AMENDMENT_WARNING, AMENDMENT_SEVERE = 0.15, 0.30
OUT_OF_SCOPE_SHARE_LIMIT, OUT_OF_SCOPE_MINIMUM = 0.2, 5
HHI_THRESHOLD, HHI_MINIMUM = 2500.0, 3
WARNING, SEVERE = "warning", "severe"

FLAG_COLUMNS = ["kind", "level", "department_id", "department", "year", "call_id", "contract_id", "reference",
                "organisation_id", "organisation", "category", "measure", "threshold", "count", "total"]


def _rows(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=FLAG_COLUMNS)
    return frame if not frame.empty else pd.DataFrame(columns=FLAG_COLUMNS)


def _year(value) -> int | None:
    return None if value is None or pd.isna(value) else int(pd.Timestamp(value).year)


def _flag(kind: str, **values) -> dict:
    row = dict.fromkeys(FLAG_COLUMNS)
    row.update(kind=kind, level=WARNING, **values)
    return row


def in_year(frame: pd.DataFrame, column: str, year: int | None) -> pd.DataFrame:
    """The rows whose `column` (a timestamp or a date) falls in `year`; all rows for None."""
    if year is None or frame.empty:
        return frame
    years = frame[column].map(_year)
    return frame[years == year]


# --- per call -------------------------------------------------------------------------------------------------
def single_bid(calls: pd.DataFrame) -> pd.DataFrame:
    """Competitive calls opened with exactly one tenderer."""
    rows = calls[calls["mode"].isin(COMPETITIVE_MODES) & calls["opened_at"].notna() & (calls["tenderers"] == 1)]
    return _rows([_flag(SINGLE_BID, department_id=r.department_id, department=r.department,
                        year=_year(r.published_at), call_id=r.id, reference=r.reference, category=r.category,
                        measure=1, threshold=1, count=1) for r in rows.itertuples()])


def bidding_days(published_at, bids_until) -> float | None:
    """Days (with fractions) from publication to the bid deadline."""
    if published_at is None or bids_until is None or pd.isna(published_at) or pd.isna(bids_until):
        return None
    return (pd.Timestamp(bids_until) - pd.Timestamp(published_at)).total_seconds() / 86400


def short_period(calls: pd.DataFrame, days: float = SHORT_PERIOD_DAYS) -> pd.DataFrame:
    """Competitive calls whose bidding period was shorter than `days`."""
    records = []
    for r in calls[calls["mode"].isin(COMPETITIVE_MODES)].itertuples():
        period = bidding_days(r.published_at, r.bids_until)
        if period is not None and period < days:
            records.append(_flag(SHORT_PERIOD, department_id=r.department_id, department=r.department,
                                 year=_year(r.published_at), call_id=r.id, reference=r.reference,
                                 category=r.category, measure=round(period, 1), threshold=days))
    return _rows(records)


# --- per award ------------------------------------------------------------------------------------------------
def low_winner(awards: pd.DataFrame) -> pd.DataFrame:
    """Awards whose winning bid the opening flagged abnormally low (its review, whatever was decided)."""
    rows = awards[awards["low_price_status"].notna()]
    return _rows([_flag(LOW_WINNER, department_id=r.department_id, department=r.department,
                        year=_year(r.decided_at), call_id=r.call_id, reference=r.reference,
                        organisation_id=r.organisation_id, organisation=r.organisation, category=r.category,
                        measure=r.amount_minor, threshold=None) for r in rows.itertuples()])


def close_runner_up(totals: pd.DataFrame, awards: pd.DataFrame, gap: float = CLOSE_GAP_POINTS) -> pd.DataFrame:
    """Lots where the winner's margin over the best non-winning bid is under `gap` points (or negative).

    `totals`: call_id, lot_id, bid_id, organisation_id, total (points of 100, every ranked bid of the lot);
    `awards`: the award frame (winners by bid_id). A lot with no non-winning ranked bid has no runner-up.
    Plain Python over the rows (one pass, grouped in dicts): thousands of lots cost milliseconds, not the
    seconds a pandas filter per lot took.
    """
    if totals.empty or awards.empty:
        return _rows([])
    winners = set(awards["bid_id"])
    by_call: dict = {}
    organisation_of: dict = {}
    for award in awards.to_dict("records"):
        by_call.setdefault(award["call_id"], award)  # the first award of the call, in the frame's order
        organisation_of.setdefault(award["bid_id"], award["organisation"])
    lots: dict = {}
    for row in totals.itertuples(index=False):
        won, lost = lots.setdefault((row.call_id, row.lot_id), ([], []))
        (won if row.bid_id in winners else lost).append(row)
    records = []
    for (call_id, lot_id), (won, lost) in sorted(lots.items()):
        if not won or not lost or call_id not in by_call:
            continue
        weakest = sorted(won, key=lambda row: row.total)[0]
        margin = round(float(weakest.total) - max(float(row.total) for row in lost), 2)
        if margin < gap:
            award = by_call[call_id]
            records.append(_flag(CLOSE_RUNNER_UP, department_id=award["department_id"],
                                 department=award["department"], year=_year(award["decided_at"]),
                                 call_id=int(call_id), reference=award["reference"],
                                 organisation_id=int(weakest.organisation_id),
                                 organisation=organisation_of[weakest.bid_id], category=award["category"],
                                 measure=margin, threshold=gap, count=int(lot_id)))
    return _rows(records)


# --- per buyer ------------------------------------------------------------------------------------------------
def repeated_winner(awards: pd.DataFrame, window: int = REPEAT_WINDOW, share: float = REPEAT_SHARE,
                    minimum: int = REPEAT_MINIMUM) -> pd.DataFrame:
    """Per buyer, an organisation that won more than `share` of the buyer's last `window` awards (and at least
    `minimum` of them). The row points at the latest of those calls."""
    records = []
    for department_id, rows in awards.groupby("department_id", sort=True):
        recent = rows.sort_values(["decided_at", "id"], ascending=False).head(window)
        for organisation_id, won in recent.groupby("organisation_id", sort=True):
            part = len(won) / len(recent)
            if len(won) >= minimum and part > share:
                latest = won.iloc[0]
                records.append(_flag(REPEATED_WINNER, department_id=int(department_id),
                                     department=latest["department"], year=_year(latest["decided_at"]),
                                     call_id=int(latest["call_id"]), reference=latest["reference"],
                                     organisation_id=int(organisation_id), organisation=latest["organisation"],
                                     measure=round(part, 4), threshold=share, count=len(won), total=len(recent)))
    return _rows(records)


def direct_award_share(awards: pd.DataFrame, share: float = DIRECT_SHARE) -> pd.DataFrame:
    """Per buyer, the direct-grant awards' share of its award value, when above `share`. The row points at its
    largest direct grant."""
    records = []
    for department_id, rows in awards.groupby("department_id", sort=True):
        total = int(rows["amount_minor"].sum())
        direct = rows[rows["mode"] == DIRECT_GRANT]
        if total <= 0 or direct.empty:
            continue
        part = int(direct["amount_minor"].sum()) / total
        if part > share:
            largest = direct.sort_values(["amount_minor", "id"], ascending=False).iloc[0]
            records.append(_flag(DIRECT_AWARD_SHARE, department_id=int(department_id),
                                 department=largest["department"], year=_year(largest["decided_at"]),
                                 call_id=int(largest["call_id"]), reference=largest["reference"],
                                 measure=round(part, 4), threshold=share, count=len(direct), total=len(rows)))
    return _rows(records)


def herfindahl(values: pd.Series) -> float:
    """The Herfindahl-Hirschman index of `values` (one per competitor): sum of squared percentage shares."""
    total = float(values.sum())
    if total <= 0:
        return 0.0
    return float(sum((100.0 * float(value) / total) ** 2 for value in values))


def hhi(awards: pd.DataFrame, threshold: float = HHI_THRESHOLD, minimum: int = HHI_MINIMUM) -> pd.DataFrame:
    """Per buyer and category, the HHI of award value by winning organisation, when above `threshold` over at
    least `minimum` awards. The row points at the latest call won by the largest winner."""
    records = []
    for (department_id, category), rows in awards.groupby(["department_id", "category"], sort=True):
        if len(rows) < minimum:
            continue
        by_winner = rows.groupby("organisation_id")["amount_minor"].sum()
        index = herfindahl(by_winner)
        if index > threshold:
            leader = int(by_winner.sort_values(ascending=False).index[0])
            latest = rows[rows["organisation_id"] == leader].sort_values(["decided_at", "id"]).iloc[-1]
            records.append(_flag(HHI, department_id=int(department_id), department=latest["department"],
                                 year=_year(latest["decided_at"]), call_id=int(latest["call_id"]),
                                 reference=latest["reference"], organisation_id=leader,
                                 organisation=latest["organisation"], category=category, measure=round(index, 1),
                                 threshold=threshold, count=len(by_winner), total=len(rows)))
    return _rows(records)


def out_of_scope_share(requests: pd.DataFrame, contracts: pd.DataFrame, share: float = OUT_OF_SCOPE_SHARE_LIMIT,
                       minimum: int = OUT_OF_SCOPE_MINIMUM) -> pd.DataFrame:
    """Per buyer, the share of scope requests citing no contract line, when above `share` over at least `minimum`
    requests. The row points at the contract with the most out-of-scope requests."""
    references = contracts.set_index("id")["reference"] if not contracts.empty else pd.Series(dtype="object")
    records = []
    for department_id, rows in requests.groupby("department_id", sort=True):
        outside = rows[~rows["in_scope"].astype(bool)]
        if len(rows) < minimum or outside.empty:
            continue
        part = len(outside) / len(rows)
        if part > share:
            worst = int(outside["contract_id"].value_counts().sort_index().sort_values(
                ascending=False, kind="stable").index[0])
            records.append(_flag(OUT_OF_SCOPE_SHARE, department_id=int(department_id),
                                 department=rows["department"].iloc[0], year=_year(rows["requested_on"].max()),
                                 contract_id=worst, reference=references.get(worst), measure=round(part, 4),
                                 threshold=share, count=len(outside), total=len(rows)))
    return _rows(records)


# --- per contract and payment ---------------------------------------------------------------------------------
def amendment_growth(contracts: pd.DataFrame, amendments: pd.DataFrame) -> pd.Series:
    """Per contract id: the value changes of its amendments in force / its original value."""
    in_force = amendments[amendments["status"] == "in_force"] if not amendments.empty else amendments
    change = (in_force.groupby("contract_id")["value_change_minor"].sum() if not in_force.empty
              else pd.Series(dtype="int64"))
    original = contracts.set_index("id")["original_value_minor"].astype("float64")
    return (change.reindex(original.index).fillna(0).astype("float64") / original.where(original > 0)).fillna(0.0)


def amendment_inflation(contracts: pd.DataFrame, amendments: pd.DataFrame, warning: float = AMENDMENT_WARNING,
                        severe: float = AMENDMENT_SEVERE) -> pd.DataFrame:
    """Contracts whose amendments in force raised the value by more than `warning` (severe above `severe`)."""
    growth = amendment_growth(contracts, amendments)
    records = []
    for r in contracts.itertuples():
        part = float(growth.get(r.id, 0.0))
        if part > warning:
            row = _flag(AMENDMENT_INFLATION, department_id=r.department_id, department=r.department,
                        year=_year(r.signed_at), call_id=None if pd.isna(r.call_id) else int(r.call_id),
                        contract_id=r.id, reference=r.reference, organisation_id=r.organisation_id,
                        organisation=r.organisation, category=r.category, measure=round(part, 4),
                        threshold=severe if part > severe else warning)
            row["level"] = SEVERE if part > severe else WARNING
            records.append(row)
    return _rows(records)


def paid_before_verified(payments: pd.DataFrame, deliveries: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    """Payments that brought a milestone's paid total above the value of its reports verified by then.

    Plain Python over the rows (each milestone's verified reports gathered once): thousands of milestones
    cost milliseconds, not the seconds a pandas filter per payment took."""
    if payments.empty:
        return _rows([])
    verified = deliveries[(deliveries["status"] == "verified") & deliveries["verified_at"].notna()] \
        if not deliveries.empty else deliveries
    reports: dict = {}
    for report in verified.itertuples(index=False):
        reports.setdefault(report.milestone_id, []).append((report.verified_at, int(report.value_minor)))
    by_id = {row["id"]: row for row in contracts.to_dict("records")} if not contracts.empty else {}
    records = []
    running_of: dict = {}
    for r in payments.sort_values(["milestone_id", "decided_at", "id"], kind="stable").itertuples(index=False):
        running_of[r.milestone_id] = running = running_of.get(r.milestone_id, 0) + int(r.amount_minor)
        value = sum(amount for at, amount in reports.get(r.milestone_id, ()) if at <= r.decided_at)
        if running > value:
            contract = by_id.get(r.contract_id)
            records.append(_flag(
                PAID_BEFORE_VERIFIED, year=_year(r.decided_at), contract_id=int(r.contract_id),
                department_id=None if contract is None else int(contract["department_id"]),
                department=None if contract is None else contract["department"],
                reference=None if contract is None else contract["reference"],
                organisation_id=None if contract is None else int(contract["organisation_id"]),
                organisation=None if contract is None else contract["organisation"],
                category=None if contract is None else contract["category"],
                measure=running - value, threshold=0, count=int(r.id), total=running))
    return _rows(records)


# --- all of them ----------------------------------------------------------------------------------------------
def _of_year(flags: pd.DataFrame, year: int | None) -> pd.DataFrame:
    return flags if year is None or flags.empty else flags[flags["year"] == year]


def all_flags(frames: dict, year: int | None = None) -> pd.DataFrame:
    """Every flag of the year (or of all time): `frames` holds calls, awards, contracts, amendments, payments,
    deliveries, scope_requests and totals (the ranked bids' totals, for close_runner_up)."""
    calls = in_year(frames["calls"], "published_at", year)
    awards = in_year(frames["awards"], "decided_at", year)
    contracts = frames["contracts"]
    parts = [
        single_bid(calls), short_period(calls), low_winner(awards),
        close_runner_up(frames["totals"], awards),
        repeated_winner(awards), direct_award_share(awards), hhi(awards),
        out_of_scope_share(in_year(frames["scope_requests"], "requested_on", year), contracts),
        amendment_inflation(in_year(contracts, "signed_at", year), frames["amendments"]),
        # every earlier payment counts toward the running total: filter the flags, not the payments
        _of_year(paid_before_verified(frames["payments"], frames["deliveries"], contracts), year),
    ]
    parts = [part for part in parts if not part.empty]
    if not parts:
        return _rows([])
    return pd.concat(parts, ignore_index=True)[FLAG_COLUMNS]
