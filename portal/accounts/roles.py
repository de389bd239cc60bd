"""The roles a user can hold, and which kind of scope each role is granted on (DESIGN.md section 2)."""
from flask_babel import lazy_gettext as _l

PLATFORM_ADMIN = "platform_admin"
OFFICIAL = "official"
EVALUATOR = "evaluator"
COMMUNITY_WORKER = "community_worker"
GRID_WORKER = "grid_worker"
ORG_ADMIN = "org_admin"
ORG_MEMBER = "org_member"
TREASURER = "treasurer"
FUND_COMMITTEE = "fund_committee"

SCOPE_PLATFORM = "platform"
SCOPE_PLACE = "place"
SCOPE_ORGANISATION = "organisation"
SCOPE_FUND = "fund"

# role -> scope kinds it may be granted on
ROLE_SCOPES = {
    PLATFORM_ADMIN: {SCOPE_PLATFORM},
    OFFICIAL: {SCOPE_PLATFORM, SCOPE_PLACE},
    EVALUATOR: {SCOPE_PLATFORM, SCOPE_PLACE},
    COMMUNITY_WORKER: {SCOPE_PLACE},
    GRID_WORKER: {SCOPE_PLACE},
    ORG_ADMIN: {SCOPE_ORGANISATION},
    ORG_MEMBER: {SCOPE_ORGANISATION},
    TREASURER: {SCOPE_FUND},
    FUND_COMMITTEE: {SCOPE_FUND},
}

ROLE_LABELS = {
    PLATFORM_ADMIN: _l("Platform administrator"),
    OFFICIAL: _l("Official (purchaser)"),
    EVALUATOR: _l("Evaluator"),
    COMMUNITY_WORKER: _l("Community worker"),
    GRID_WORKER: _l("Grid worker"),
    ORG_ADMIN: _l("Organisation administrator"),
    ORG_MEMBER: _l("Organisation member"),
    TREASURER: _l("Fund treasurer"),
    FUND_COMMITTEE: _l("Fund committee member"),
}

SCOPE_LABELS = {
    SCOPE_PLATFORM: _l("Platform"),
    SCOPE_PLACE: _l("Place"),
    SCOPE_ORGANISATION: _l("Organisation"),
    SCOPE_FUND: _l("Fund"),
}
