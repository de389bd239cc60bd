"""`portal demo`: load (or top up) the demo city and every domain's demo data, then print the sign-ins.

Idempotent: each seed finds its rows again by a stable key. Later issues extend the demo: add a
`seed_<domain>` function in portal/<domain>/demo.py (building on portal/demo_city.py) and call it from
`demo_command` in dependency order.
"""
import unicodedata
from collections import Counter

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from portal.accounts import roles
from portal.accounts.models import RoleAssignment, User
from portal.cases.demo import case_logins, seed_cases
from portal.contracts.demo import contract_logins, contracts_summary, on_call_confirmed
from portal.core.errors import DomainError
from portal.demo_city import (
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    RESIDENT_COUNT,
    ROLE_USERS,
    demo_email,
    seed_organisations,
    seed_places,
    seed_users,
)
from portal.extensions import db
from portal.funds.demo import fund_logins, seed_funds
from portal.needs.demo import seed_needs
from portal.orgs.models import PENDING, REJECTED, SUSPENDED, VERIFIED, Organisation
from portal.places.models import COMMUNITY, DISTRICT, GRID, KINDS, STREET, Place
from portal.procurement.demo import procurement_logins, seed_procurement
from portal.projects.demo import seed_projects
from portal.volunteering.demo import seed_volunteering

# --- the command ---------------------------------------------------------------------------------

def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows as aligned columns; Chinese characters count double, as a terminal shows them."""
    widths = [max(_width(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return lines


def demo_logins(users: dict[str, User]) -> list[tuple[str, str, str, str]]:
    """(email, role, scope, password) for every account in ROLE_USERS, read back from the database."""
    accounts = [users[spec.local_part] for spec in ROLE_USERS]
    assignments = list(db.session.scalars(
        select(RoleAssignment).where(RoleAssignment.user_id.in_([user.id for user in accounts]))
        .order_by(RoleAssignment.id)))
    place_ids = {a.scope_id for a in assignments if a.scope_type == roles.SCOPE_PLACE}
    organisation_ids = {a.scope_id for a in assignments if a.scope_type == roles.SCOPE_ORGANISATION}
    place_names = {place.id: f"{place.name} ({place.kind})" for place in db.session.scalars(
        select(Place).where(Place.id.in_(place_ids)))}
    organisation_names = dict(db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisation_ids))).all())
    rows = []
    for user in accounts:
        held = [a for a in assignments if a.user_id == user.id]
        for assignment in held or [None]:
            if assignment is None:
                rows.append((user.email, "resident", "-", DEMO_PASSWORD))
                continue
            scope = {roles.SCOPE_PLATFORM: "platform", roles.SCOPE_PLACE: place_names.get(assignment.scope_id),
                     roles.SCOPE_ORGANISATION: organisation_names.get(assignment.scope_id)}.get(
                assignment.scope_type, f"{assignment.scope_type} #{assignment.scope_id}")
            rows.append((user.email, assignment.role, str(scope), DEMO_PASSWORD))
    return rows


PLURALS = {DISTRICT: "districts", STREET: "streets", COMMUNITY: "communities", GRID: "grids"}


def demo_summary() -> list[str]:
    place_counts = dict(db.session.execute(select(Place.kind, func.count()).group_by(Place.kind)).all())
    statuses = Counter(dict(db.session.execute(
        select(Organisation.status, func.count()).group_by(Organisation.status)).all()))
    people = db.session.scalar(select(func.sum(Place.population)).where(Place.kind == GRID)) or 0
    demo_users = db.session.scalar(select(func.count()).select_from(User).where(User.email.like(f"%@{DEMO_DOMAIN}")))
    assignments = db.session.scalar(select(func.count()).select_from(RoleAssignment))
    return [
        "places: " + ", ".join(f"{place_counts.get(kind, 0)} {PLURALS[kind]}" for kind in KINDS)
        + f" ({people:,} people in the grids)",
        f"users: {demo_users} demo accounts, {assignments} role assignments",
        "organisations: " + ", ".join(f"{statuses[status]} {status}"
                                      for status in (VERIFIED, PENDING, REJECTED, SUSPENDED)),
    ]


@click.command("demo")
@with_appcontext
def demo_command():
    """Load (or top up) the demo city: places, accounts for every role, organisations."""
    try:
        places = seed_places()
        users = seed_users(places)
        seed_organisations(users, places)
        # Later domains, in dependency order: needs link to projects and campaigns, shifts hang on projects.
        fund_lines = seed_funds()
        seed_projects()
        seed_needs()
        with current_app.test_request_context("/"):  # the calls' notifications link to pages (url_for)
            # after the needs its calls answer; each confirmed award becomes its contract as the year goes
            summary_procurement = seed_procurement(on_confirmed=on_call_confirmed) + contracts_summary()
            # after the contracts: a contracted organisation handles one category of the street's cases
            summary_cases = seed_cases()
        # after the contracts, whose service projects (their results frameworks) take volunteers too
        seed_volunteering()
        logins = demo_logins(users) + [(email, role, fund, DEMO_PASSWORD) for email, role, fund in fund_logins()]
        logins += procurement_logins() + contract_logins() + case_logins()
        summary = demo_summary() + fund_lines + summary_procurement + summary_cases
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    except Exception:
        db.session.rollback()
        raise

    click.echo("Demo city loaded (Yichang: 西陵区 and 伍家岗区).")
    for line in summary:
        click.echo("  " + line)
    click.echo("")
    click.echo("Demo sign-ins (every account uses the same password):")
    for line in _table([("email", "role", "scope", "password"), *logins]):
        click.echo("  " + line)
    first, last = demo_email("resident01"), demo_email(f"resident{RESIDENT_COUNT:02d}")
    click.echo(f"  plus {RESIDENT_COUNT} residents: {first} ... {last}, password {DEMO_PASSWORD}")
