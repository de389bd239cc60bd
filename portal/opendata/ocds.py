"""OCDS 1.1 releases, records and packages for every published call (Open Contracting Data Standard).

One contracting process per call: its ocid is `OCDS_OCID_PREFIX` + the call's id. Its releases, each dated by
the event that made it (all from public facts, portal/opendata/queries.py):

| release | tag | when |
|---|---|---|
| the tender as first published | tender | `published_at` |
| each public revision of the call | tenderAmendment | the revision's time |
| the opening: number of tenderers (unsuccessful when too few) | tenderUpdate | `opened_at` |
| the awards of one decision (pending in the publicity period) | award | the decision |
| an award cancelled on an objection or with the call | awardCancellation | `cancelled_at` |
| the award confirmed after publicity: tender complete | awardUpdate, tenderUpdate | `confirmed_at` |
| the call cancelled | tenderCancellation | the audit log's time |
| each contract signed (its milestones scheduled) | contract | `signed_at` |
| each amendment in force (the value after it) | contractAmendment | approval (or proposal) |
| a milestone accepted | implementation | `accepted_at` |
| a payment approved (a transaction) | implementation | `decided_at` |
| the contract delivered, closed or terminated | contractTermination | `completed_at` / `closed_at` |

Sealed bids: nothing here reads a bid. Before the opening a release says only what the call page says (the
tender); the number of tenderers comes with the opening, and a price only with an award. Who else bid, and at
what price, is the opening record, published to the buyer and the bidders only: it is not open data.

Money is stored in integer fen and published in yuan, converted exactly with Decimal (`amount`). Dates are
ISO 8601 with the offset of the portal's time zone (Asia/Shanghai, +08:00). Records are compiled with
`ocdsmerge`, given the release schema shipped in portal/opendata/schema/ (never fetched).
"""
import json
from datetime import datetime, time
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app, url_for

from portal.contracts.models import ACCEPTED as MILESTONE_ACCEPTED
from portal.contracts.models import CLOSED as CONTRACT_CLOSED
from portal.contracts.models import COMPLETED, TERMINATED
from portal.contracts.models import PAID as MILESTONE_PAID
from portal.core.time import utcnow
from portal.procurement.models import (
    APPLICATION_CALL,
    AWARDED,
    CANCELLED,
    CLOSED,
    CONFIRMED,
    CONTEST,
    CONTRACTED,
    DIRECT_GRANT,
    DRAFT,
    EVALUATION,
    OPEN_TENDER,
    PUBLISHED,
    UNSUCCESSFUL,
)

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
OCDS_VERSION = "1.1"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
USCC_SCHEME = "CN-USCC"  # 统一社会信用代码: the organisation identifier scheme of org-id.guide
CLASSIFICATION_SCHEME = "x_purchaseCatalogue"  # the buyer's purchase catalogue (购买服务目录)
ZONE = ZoneInfo("Asia/Shanghai")

# The portal's call status -> OCDS tender.status (closed codelist tenderStatus). A draft is never published.
TENDER_STATUS = {DRAFT: "planning", PUBLISHED: "active", CLOSED: "active", EVALUATION: "active", AWARDED: "active",
                 CONFIRMED: "complete", CONTRACTED: "complete", CANCELLED: "cancelled",
                 UNSUCCESSFUL: "unsuccessful"}
# The mode -> OCDS procurementMethod, and the Chinese name of the mode for procurementMethodDetails.
PROCUREMENT_METHOD = {OPEN_TENDER: "open", DIRECT_GRANT: "direct", APPLICATION_CALL: "open", CONTEST: "open"}
MODE_NAMES = {OPEN_TENDER: "公开招标/竞争性磋商", DIRECT_GRANT: "直接资助", APPLICATION_CALL: "项目申请",
              CONTEST: "公益创投"}
UNIT_NAMES = {"hour": "小时", "visit": "次", "person_month": "人·月", "session": "场"}
# The order of events that share a timestamp (the demo dates several steps to the same second).
_PHASES = ("tender", "amendment", "opening", "award", "award_cancelled", "confirmed", "cancelled", "contract",
           "contract_amendment", "milestone", "payment", "contract_end")


# --- values ------------------------------------------------------------------------------------------------
def amount(minor: int) -> int | float:
    """Fen to yuan, exactly: Decimal arithmetic, then the JSON number whose text is that decimal (an int when
    whole). Refuses an amount a JSON number could not carry exactly (beyond a double's digits: far above any
    real amount)."""
    value = Decimal(int(minor)).scaleb(-2)
    number = int(value) if value == value.to_integral_value() else float(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"{minor} fen cannot be published exactly as a JSON number")
    return number


def value(minor: int, currency: str) -> dict:
    return {"amount": amount(minor), "currency": currency}


def when(moment) -> str | None:
    """A stored UTC time as ISO 8601 in the portal's time zone, with its offset."""
    return None if moment is None else moment.astimezone(ZONE).isoformat(timespec="seconds")


def day(on) -> str | None:
    """A calendar date as the start of that day in the portal's time zone."""
    return None if on is None else datetime.combine(on, time(0), ZONE).isoformat(timespec="seconds")


def ocid_of(call_id: int) -> str:
    return f"{current_app.config['OCDS_OCID_PREFIX']}{call_id}"


def _compact(values: dict) -> dict:
    """Drop empty fields: OCDS leaves out what is not known rather than publishing nulls."""
    return {key: item for key, item in values.items() if item not in (None, "", [], {})}


# --- schema and merging ------------------------------------------------------------------------------------
@cache
def load_schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


@cache
def _merger():
    import ocdsmerge

    # The rules come from the shipped release schema: given a dict, ocdsmerge resolves its internal $refs
    # in memory and never goes to the network.
    return ocdsmerge.Merger(schema=load_schema("release-schema.json"))


def compile_release(releases: list[dict]) -> dict:
    """The compiled release of one process (its releases given in date order)."""
    return _merger().create_compiled_release(releases)


# --- parties -----------------------------------------------------------------------------------------------
def buyer_id(department) -> str:
    return f"department-{department.id}"


def organisation_id(organisation) -> str:
    return f"{USCC_SCHEME}-{organisation.credit_code}"


def _buyer_party(department) -> dict:
    return _compact({"id": buyer_id(department), "name": department.name,
                     "address": _compact({"locality": department.place.name if department.place else None,
                                          "country": "CN", "countryName": "中国"})})


def _organisation_party(organisation) -> dict:
    return {"id": organisation_id(organisation), "name": organisation.name,
            "identifier": {"scheme": USCC_SCHEME, "id": organisation.credit_code, "legalName": organisation.name},
            "address": {"country": "CN", "countryName": "中国"}}


def _reference(party: dict) -> dict:
    return {"id": party["id"], "name": party["name"]}


# --- one call's releases -----------------------------------------------------------------------------------
class _Process:
    """Builds the releases of one call from its CallData."""

    def __init__(self, data):
        self.data = data
        self.call = data.call
        self.ocid = ocid_of(self.call.id)
        self.currency = self.call.currency
        self.buyer = _buyer_party(self.call.department)
        self.events = []  # (date, phase rank, sequence, release without parties, {party id: roles})
        self.party_bodies = {self.buyer["id"]: self.buyer}

    def _add(self, moment, phase: str, suffix: str, tags: list, body: dict, roles: dict | None = None) -> None:
        if moment is None:
            return
        release = {"ocid": self.ocid, "id": f"{self.ocid}-{suffix}", "date": when(moment), "tag": tags,
                   "initiationType": "tender", "language": "zh", "buyer": _reference(self.buyer), **body}
        touched = {self.buyer["id"]: {"buyer", "procuringEntity"}, **(roles or {})}
        self.events.append((moment, _PHASES.index(phase), len(self.events), release, touched))

    def releases(self) -> list[dict]:
        self._tender()
        self._opening()
        self._awards()
        self._end_of_call()
        for contract in self.data.contracts:
            self._contract(contract)
        return self._with_parties()

    def _with_parties(self) -> list[dict]:
        """Date order; each release lists the parties it names, with every role they have held so far (roles
        merge as a whole list, so the latest release naming a party carries all of them)."""
        held: dict[str, set] = {}
        ordered = []
        for _moment, _rank, _seq, release, touched in sorted(self.events, key=lambda event: event[:3]):
            parties = []
            for party_id, roles in touched.items():
                held.setdefault(party_id, set()).update(roles)
                parties.append({**self.party_bodies[party_id], "roles": sorted(held[party_id])})
            ordered.append({**release, "parties": parties})
        return ordered

    # --- tender ---
    def _states(self) -> list[dict]:
        """The tender as published and after each revision: the current call, with each revision's `before`
        values put back, newest first."""
        call = self.call
        current = {"title": call.title, "description": call.description, "eligibility": call.eligibility,
                   "budget_cap_minor": call.budget_cap_minor, "questions_until": call.questions_until,
                   "bids_until": call.bids_until,
                   "lots": [{"number": lot.number, "title": lot.title,
                             "lines": [[line.item.code, line.item.name, line.quantity] for line in lot.lines]}
                            for lot in call.lots],
                   "criteria": [[c.kind, c.name, c.weight] for c in call.criteria]}
        states = [current]
        for revision in reversed(self.data.revisions):
            earlier = dict(states[0])
            for name, change in (revision.changes or {}).items():
                if name in earlier and isinstance(change, list | tuple) and len(change) == 2:
                    earlier[name] = _restored(name, change[0])
            states.insert(0, earlier)
        return states

    def _tender_body(self, state: dict, status: str) -> dict:
        call = self.call
        units = {line.item.code: line.item.unit for lot in call.lots for line in lot.lines}
        items = []
        for lot in state["lots"]:
            for code, name, quantity in (lot.get("lines") or []):
                unit = units.get(code)
                items.append(_compact({
                    "id": f"{lot['number']}-{code}", "description": f"{name}（{lot['number']}. {lot['title']}）",
                    "classification": {"scheme": CLASSIFICATION_SCHEME, "id": code, "description": name},
                    "quantity": quantity,
                    "unit": {"id": unit, "name": UNIT_NAMES.get(unit, unit)} if unit else None}))
        criteria = "; ".join(f"{name} {weight}%" for _kind, name, weight, *_rest in state["criteria"])
        published = when(call.published_at)
        return _compact({
            "id": call.reference, "title": state["title"], "description": state["description"], "status": status,
            "procuringEntity": _reference(self.buyer), "value": value(state["budget_cap_minor"], self.currency),
            "procurementMethod": PROCUREMENT_METHOD.get(call.mode),
            "procurementMethodDetails": MODE_NAMES.get(call.mode), "mainProcurementCategory": "services",
            "awardCriteria": "ratedCriteria", "awardCriteriaDetails": criteria,
            "submissionMethod": ["electronicSubmission"], "eligibilityCriteria": state["eligibility"],
            "datePublished": published,
            "tenderPeriod": _compact({"startDate": published, "endDate": when(state["bids_until"])}),
            "enquiryPeriod": _compact({"startDate": published, "endDate": when(state["questions_until"])}),
            "items": items,
            "documents": [{"id": "tender-notice", "documentType": "tenderNotice", "title": call.title,
                           "url": url_for("procurement.call_detail", call_id=call.id, _external=True),
                           "format": "text/html", "language": "zh", "datePublished": published}]})

    def _tender(self) -> None:
        states = self._states()
        self._add(self.call.published_at, "tender", "tender", ["tender"], {"tender": self._tender_body(states[0],
                                                                                                     "active")})
        amendments = []
        for revision, state in zip(self.data.revisions, states[1:], strict=True):
            amendments.append(_compact({"id": f"revision-{revision.number}", "date": when(revision.made_at),
                                        "rationale": revision.summary,
                                        "description": ", ".join(sorted(revision.changes or {})),
                                        "amendsReleaseID": self._release_id_before(revision.number),
                                        "releaseID": f"{self.ocid}-tender-amendment-{revision.number}"}))
            self._add(revision.made_at, "amendment", f"tender-amendment-{revision.number}", ["tenderAmendment"],
                      {"tender": {**self._tender_body(state, "active"), "amendments": list(amendments)}})

    def _release_id_before(self, number: int) -> str:
        return f"{self.ocid}-tender" if number == 1 else f"{self.ocid}-tender-amendment-{number - 1}"

    def _opening(self) -> None:
        call = self.call
        if call.opened_at is None or call.status in (DRAFT, PUBLISHED) or self.data.tenderers is None:
            return
        status = "unsuccessful" if call.status == UNSUCCESSFUL else "active"
        self._add(call.opened_at, "opening", "opening", ["tenderUpdate"],
                  {"tender": {"id": call.reference, "status": status, "numberOfTenderers": self.data.tenderers}})

    # --- awards ---
    def _award_body(self, award, status: str) -> dict:
        organisation = award.bid.organisation
        self.party_bodies[organisation_id(organisation)] = _organisation_party(organisation)
        return _compact({"id": f"award-{award.id}", "title": f"{award.lot.number}. {award.lot.title}",
                         "description": award.reasons, "status": status, "date": when(award.decided_at),
                         "value": value(award.amount_minor, self.currency),
                         "suppliers": [_reference(self.party_bodies[organisation_id(organisation)])],
                         "documents": [self._award_notice()]})

    def _award_notice(self) -> dict:
        return {"id": "award-notice", "documentType": "awardNotice", "format": "text/html", "language": "zh",
                "url": url_for("procurement.award_notice", call_id=self.call.id, _external=True)}

    def _supplier_roles(self, award, *roles) -> dict:
        return {organisation_id(award.bid.organisation): {"tenderer", "supplier", *roles}}

    def _awards(self) -> None:
        decisions: dict = {}
        for award in self.data.awards:
            decisions.setdefault(award.decided_at, []).append(award)
        for decided_at, awards in decisions.items():
            roles = {}
            bodies = [self._award_body(award, "pending") for award in awards]
            for award in awards:
                roles.update(self._supplier_roles(award))
            self._add(decided_at, "award", f"award-{awards[0].id}", ["award"], {"awards": bodies}, roles)
        for award in self.data.awards:
            if award.cancelled_at is not None:
                self._add(award.cancelled_at, "award_cancelled", f"award-{award.id}-cancelled",
                          ["awardCancellation"], {"awards": [self._award_body(award, "cancelled")]},
                          self._supplier_roles(award))

    def _end_of_call(self) -> None:
        call = self.call
        if call.confirmed_at is not None and call.status in (CONFIRMED, CONTRACTED):
            standing = [award for award in self.data.awards if award.cancelled_at is None]
            roles = {}
            for award in standing:
                roles.update(self._supplier_roles(award))
            self._add(call.confirmed_at, "confirmed", "award-confirmed", ["awardUpdate", "tenderUpdate"],
                      {"tender": {"id": call.reference, "status": "complete"},
                       "awards": [self._award_body(award, "active") for award in standing]}, roles)
        if call.status == CANCELLED:
            moment = self.data.cancelled_at or _latest(call.published_at, call.opened_at, call.awarded_at)
            self._add(moment, "cancelled", "cancelled", ["tenderCancellation"],
                      {"tender": {"id": call.reference, "status": "cancelled"}})

    # --- contracts ---
    def _contract_ref(self, contract) -> dict:
        return {"id": f"contract-{contract.id}", "awardID": f"award-{contract.award_id}"}

    def _contract(self, contract) -> None:
        organisation = contract.organisation
        self.party_bodies[organisation_id(organisation)] = _organisation_party(organisation)
        supplier = {organisation_id(organisation): {"tenderer", "supplier"}}
        ref = self._contract_ref(contract)
        milestones = [_compact({"id": f"milestone-{m.id}", "title": m.title, "type": "delivery",
                                "code": str(m.number), "dueDate": day(m.due_on), "status": "scheduled",
                                "description": f"合同金额的{m.share_bp / 100:g}%"}) for m in contract.milestones]
        body = _compact({**ref, "title": contract.title, "status": "active",
                         "period": _compact({"startDate": day(contract.starts_on), "endDate": day(contract.ends_on)}),
                         "value": value(contract.original_value_minor, contract.currency),
                         "items": [self._contract_item(line, contract.currency) for line in contract.lines],
                         "dateSigned": when(contract.signed_at),
                         "documents": [{"id": f"contract-{contract.id}-notice", "documentType": "contractNotice",
                                        "title": contract.reference, "format": "text/html", "language": "zh",
                                        "url": url_for("contracts.detail", contract_id=contract.id,
                                                       _external=True)}],
                         "implementation": {"milestones": milestones}})
        self._add(contract.signed_at, "contract", f"contract-{contract.id}", ["contract"], {"contracts": [body]},
                  supplier)
        running = contract.original_value_minor
        recorded = []
        for amendment in self.data.amendments.get(contract.id, []):
            running += amendment.value_change_minor
            moment = amendment.approved_at or amendment.proposed_at
            recorded.append(_compact({"id": f"amendment-{amendment.number}", "date": when(moment),
                                      "rationale": amendment.rationale,
                                      "description": ", ".join(sorted(amendment.changes or {}))}))
            self._add(moment, "contract_amendment", f"contract-{contract.id}-amendment-{amendment.number}",
                      ["contractAmendment"], {"contracts": [{**ref, "value": value(running, contract.currency),
                                                             "amendments": list(recorded)}]})
        for milestone in contract.milestones:
            if milestone.status in (MILESTONE_ACCEPTED, MILESTONE_PAID) and milestone.accepted_at is not None:
                self._add(milestone.accepted_at, "milestone", f"milestone-{milestone.id}-met", ["implementation"],
                          {"contracts": [{**ref, "implementation": {"milestones": [{
                              "id": f"milestone-{milestone.id}", "status": "met",
                              "dateMet": when(milestone.accepted_at),
                              "dateModified": when(milestone.accepted_at)}]}}]})
        for payment in self.data.payments.get(contract.id, []):
            transaction = {"id": f"payment-{payment.id}", "date": when(payment.decided_at),
                           "value": value(payment.amount_minor, contract.currency),
                           "payer": _reference(self.buyer),
                           "payee": _reference(self.party_bodies[organisation_id(organisation)]),
                           "uri": url_for("contracts.milestone_detail", contract_id=contract.id,
                                          milestone_id=payment.milestone_id, _external=True)}
            self._add(payment.decided_at, "payment", f"payment-{payment.id}", ["implementation"],
                      {"contracts": [{**ref, "implementation": {"transactions": [transaction]}}]},
                      {self.buyer["id"]: {"buyer", "procuringEntity", "payer"},
                       organisation_id(organisation): {"tenderer", "supplier", "payee"}})
        self._contract_end(contract, ref)

    def _contract_item(self, line, currency: str) -> dict:
        item = self.data.items.get(line.catalogue_item_id)
        return _compact({
            "id": f"line-{line.id}", "description": line.name,
            "classification": {"scheme": CLASSIFICATION_SCHEME, "id": item.code, "description": item.name}
            if item is not None else None,
            "quantity": line.quantity,
            "unit": {"id": line.unit, "name": UNIT_NAMES.get(line.unit, line.unit),
                     "value": value(line.unit_price_minor, currency)}})

    def _contract_end(self, contract, ref: dict) -> None:
        if contract.status not in (COMPLETED, CONTRACT_CLOSED, TERMINATED):
            return
        moment = contract.closed_at if contract.status == TERMINATED else (contract.completed_at
                                                                           or contract.closed_at)
        body = {**ref, "status": "terminated"}
        if contract.status == TERMINATED:
            unmet = [{"id": f"milestone-{m.id}", "status": "notMet"} for m in contract.milestones
                     if m.status not in (MILESTONE_ACCEPTED, MILESTONE_PAID)]
            if unmet:
                body["implementation"] = {"milestones": unmet}
        self._add(moment, "contract_end", f"contract-{contract.id}-end", ["contractTermination"],
                  {"contracts": [body]})


def _restored(name: str, before):
    """A revision's `before` value in the shape of the current state (times are stored as ISO text)."""
    if name in ("questions_until", "bids_until") and isinstance(before, str):
        return datetime.fromisoformat(before)
    return before


def _latest(*moments):
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else utcnow()


# --- releases, records, packages ---------------------------------------------------------------------------
def releases_of(data) -> list[dict]:
    """Every release of one call (a CallData), in date order."""
    return _Process(data).releases()


def record_of(data, releases: list[dict] | None = None) -> dict:
    """The record of one call: its releases, linked by URL, and the compiled release."""
    releases = releases if releases is not None else releases_of(data)
    package_url = url_for("opendata.call_releases", call_id=data.call.id, _external=True)
    return {"ocid": ocid_of(data.call.id),
            "releases": [{"url": f"{package_url}#{release['id']}", "date": release["date"], "tag": release["tag"]}
                         for release in releases],
            "compiledRelease": compile_release(releases)}


def _package_metadata(uri: str) -> dict:
    return {"uri": uri, "version": OCDS_VERSION, "publishedDate": when(utcnow()),
            "publisher": {"name": current_app.config["OCDS_PUBLISHER_NAME"]}, "license": LICENSE_URL,
            "publicationPolicy": url_for("opendata.index", _external=True)}


def release_package(datas: list, uri: str, next_url: str | None = None) -> dict:
    package = {**_package_metadata(uri), "releases": [release for data in datas for release in releases_of(data)]}
    if next_url:
        package["links"] = {"next": next_url}
    return package


def record_package(datas: list, uri: str, next_url: str | None = None) -> dict:
    package = {**_package_metadata(uri), "records": [record_of(data) for data in datas]}
    if next_url:
        package["links"] = {"next": next_url}
    return package
