"""A bare Flask + Flask-SQLAlchemy app with one endpoint of each shape the portal's hot paths have.

It is the yardstick of bench/side_by_side.py: the same machine, database, gunicorn settings and load
as the portal, but none of the portal's framework (sessions, sign-in, locale, navigation, CSRF,
policies, audit, big templates). Each endpoint reads or writes the same rows as its portal page:

- GET /campaign/<id>: the campaign with its fund (the stored raised total and donor count), its teams
  by raised total, the latest 20 counted gifts; rendered by a small Jinja template.
- GET /fund/<id>: the fund's stored totals and the newest 50 ledger entries with their cash posting.
- GET /projects: the first 20 published service projects with their organisation, and the total.
- GET /snapshot/<name>?params=<canonical JSON>: what a dashboard page served from its stored snapshot must do
  at least (bench/bench_insights.py): read the one stored JSON row (insight_snapshots) and render a small table
  (the first 20 rows of its first list).
- POST /gift: what a webhook gift must do at least: insert a succeeded gift and move the campaign's
  stored total (UPDATE ... SET raised_minor = raised_minor + amount), one transaction. Into copies of
  the tables (bench_bare_gifts is `donations` with all its indexes, bench_bare_totals one row per
  campaign, made by side_by_side.py), so the portal's books in the same database stay reconciled.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        gunicorn --workers 2 --threads 8 --chdir bench bare_app:app
"""
import os

from flask import Flask, abort, render_template, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

app = Flask(__name__, template_folder="bare_templates")
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench")
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 10, "max_overflow": 10}
db = SQLAlchemy(app)

# the one small page, bare_templates/page.html, rendered with render_template: compiled once and kept, as any
# Flask app's file templates are (until 2026-12-07 it was render_template_string, which compiled it on every request)
@app.get("/campaign/<int:campaign_id>")
def campaign(campaign_id):
    head = db.session.execute(text(
        "SELECT c.title, c.goal_minor, c.raised_minor, c.donor_count, f.name FROM campaigns c "
        "JOIN funds f ON f.id = c.fund_id WHERE c.id = :id"), {"id": campaign_id}).first()
    if head is None:
        abort(404)
    teams = db.session.execute(text(
        "SELECT name, raised_minor, donor_count FROM teams WHERE campaign_id = :id ORDER BY raised_minor DESC, id"),
        {"id": campaign_id}).all()
    gifts = db.session.execute(text(
        "SELECT donor_name, display_mode, amount_minor, succeeded_at FROM donations WHERE campaign_id = :id "
        "AND status IN ('succeeded', 'partially_refunded') ORDER BY succeeded_at DESC, id DESC LIMIT 20"),
        {"id": campaign_id}).all()
    return render_template("page.html", title=head.title, raised=head.raised_minor, goal=head.goal_minor,
                                  donors=head.donor_count, fund=head.name, rows=teams, more=gifts)


@app.get("/fund/<int:fund_id>")
def fund(fund_id):
    head = db.session.execute(text("SELECT name, raised_minor, balance_minor, donor_count FROM funds WHERE id = :id"),
                              {"id": fund_id}).first()
    if head is None:
        abort(404)
    entries = db.session.execute(text(
        "SELECT e.kind, e.created_at, e.description, p.amount_minor FROM ledger_entries e "
        "JOIN postings p ON p.entry_id = e.id AND p.account = :cash WHERE e.fund_id = :id "
        "ORDER BY e.created_at DESC, e.id DESC LIMIT 50"), {"id": fund_id, "cash": f"fund:{fund_id}:cash"}).all()
    return render_template("page.html", title=head.name, raised=head.raised_minor, goal=head.balance_minor,
                                  donors=head.donor_count, fund=head.name, rows=entries, more=[])


@app.get("/projects")
def projects():
    total = db.session.execute(text("SELECT count(*) FROM service_projects WHERE status != 'draft'")).scalar()
    rows = db.session.execute(text(
        "SELECT p.title, o.name, p.status FROM service_projects p JOIN organisations o ON o.id = p.organisation_id "
        "WHERE p.status != 'draft' ORDER BY p.id DESC LIMIT 20")).all()
    return render_template("page.html", title="projects", raised=total, goal=0, donors=0, fund="", rows=rows,
                                  more=[])


@app.get("/snapshot/<name>")
def stored_snapshot(name):
    payload = db.session.execute(text("SELECT payload FROM insight_snapshots WHERE name = :name AND params = :params"),
                                 {"name": name, "params": request.args.get("params", "{}")}).scalar()
    if payload is None:
        abort(404)
    if isinstance(payload, str):
        import json

        payload = json.loads(payload)
    rows = next((value for value in payload.values() if isinstance(value, list)), [])[:20]
    rows = [list(row.values()) if isinstance(row, dict) else [row] for row in rows]
    return render_template("page.html", title=name, raised=len(payload), goal=0, donors=0, fund="", rows=rows,
                                  more=[])


@app.post("/gift")
def gift():
    body = request.get_json()
    campaign_id, amount = int(body["campaign_id"]), int(body["amount_minor"])
    fund_id = db.session.execute(text("SELECT fund_id FROM campaigns WHERE id = :id"), {"id": campaign_id}).scalar()
    donation_id = db.session.execute(text(
        "INSERT INTO bench_bare_gifts (fund_id, campaign_id, donor_name, display_mode, message, amount_minor, "
        "currency, refunded_minor, provider, frequency, status, created_at, succeeded_at) VALUES (:fund, :campaign, "
        "'基准', 'anonymous', '', :amount, 'CNY', 0, 'bare', 'one_off', 'succeeded', now(), now()) RETURNING id"),
        {"fund": fund_id, "campaign": campaign_id, "amount": amount}).scalar()
    db.session.execute(text("UPDATE bench_bare_totals SET raised_minor = raised_minor + :amount WHERE id = :id"),
                       {"amount": amount, "id": campaign_id})
    db.session.commit()
    return {"donation": donation_id}
