"""Who may read what through the API: anyone, and only what is public to everyone. The API reads as nobody in
particular (no account's wider view: an organisation's own draft stays off the API), so each check is the
public half of its domain's rule, asked by the one-object routes after their loaders."""
from portal.cases.models import Case
from portal.funds.models import DRAFT as CAMPAIGN_DRAFT
from portal.opendata import policy as opendata_policy
from portal.payments.models import PARTIALLY_REFUNDED, SUCCEEDED
from portal.procurement.models import PUBLIC_STATUSES
from portal.projects.models import DRAFT as PROJECT_DRAFT


def can_read_project(user, project) -> bool:
    return project.status != PROJECT_DRAFT


def can_read_fund(user, fund) -> bool:
    """Every fund is public (portal/funds/policy.py, can_view_fund)."""
    return True


def can_read_campaign(user, campaign) -> bool:
    return campaign.status != CAMPAIGN_DRAFT


def can_read_gift(user, gift) -> bool:
    """A counted gift (the API shows its donor only as the donor chose: portal/api/rows.py)."""
    return gift.status in (SUCCEEDED, PARTIALLY_REFUNDED)


def can_read_call(user, data) -> bool:
    """A published call's public facts (never a draft): as open data (portal/opendata/policy.py)."""
    return opendata_policy.can_read_call_data(user, data.call)


def can_read_award(user, data) -> bool:
    """An award (with its call: portal/api/queries.py, AwardData) of a published call."""
    return data.call.status in PUBLIC_STATUSES


def can_read_contract(user, contract) -> bool:
    """Every contract is public (portal/contracts/policy.py, can_view_contract)."""
    return True


def can_read_case(user, case: Case) -> bool:
    """Cases of public categories only, whoever asks (a reporter's own private case is on the case pages)."""
    return case.category.is_public
