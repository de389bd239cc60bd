#!/usr/bin/env python3
"""Benchmark of the money hot paths on PostgreSQL (not a timed test; figures go to BENCHMARKS.md).

1. Seeds a separate database (default `bench`, never the `test` database) with one hot campaign holding
   N succeeded gifts (default 1,000,000), each with its ledger entry and two postings, inserted with
   INSERT ... SELECT generate_series, plus donors, teams and members, and the cached totals, donor
   tallies and donor counts (with migration 0005's backfill).
2. Gifts per second through the webhook path: pending Stripe donations of the hot campaign, confirmed
   by signed `checkout.session.completed` events POSTed to the real Flask app (test client, in
   process: signature check, storing the event, row locks, ledger, matching, audit, commit), first
   one at a time, then from several threads at once.
3. Requests per second for the campaign page (/campaigns/<id>) and the fund page with the 1M gifts,
   with the SQL statements of one request and their times.

    .venv/bin/python bench/bench_payments.py                    # 1,000,000 gifts, 2,000 webhooks, 200 page views
    .venv/bin/python bench/bench_payments.py --gifts 100000 --webhooks 500 --requests 50   # quicker

Needs PostgreSQL at 127.0.0.1:5432 with trust auth (as CI has); --admin-url and --database change that.
Only loopback traffic: the Stripe API calls go to the local fake in tests/payments/fake_stripe.py.
"""
import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_INSTANCE_DIR", "/tmp/portal-bench-instance")

import psycopg  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

WEBHOOK_SECRET = "whsec_bench"


def ensure_database(admin_url: str, name: str, reset: bool) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and reset:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def make_app(database_url: str, fake_url: str):
    from portal import create_app

    return create_app({
        "PORTAL_ENV": "test", "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "bench.test",
        "PAYMENT_PROVIDERS": "stripe,sandbox,offline", "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": fake_url, "RATELIMIT_ENABLED": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 10, "max_overflow": 10},
    })


def seed(app, gifts: int) -> dict:
    """The hot campaign with `gifts` succeeded gifts, built in bulk by PostgreSQL itself."""
    from flask_migrate import upgrade

    from portal.extensions import db

    with app.app_context():
        upgrade()
        if db.session.execute(text("SELECT count(*) FROM donations")).scalar():
            row = db.session.execute(text("SELECT id, fund_id FROM campaigns ORDER BY id LIMIT 1")).one()
            return {"campaign": row.id, "fund": row.fund_id, "seconds": 0.0, "reused": True}
        started = time.perf_counter()
        sql = db.session.execute
        place = sql(text("INSERT INTO places (kind, name, code, path) VALUES ('community', '基准社区', 'BENCH1', '/') "
                         "RETURNING id")).scalar()
        sql(text("UPDATE places SET path = '/' || id || '/' WHERE id = :id"), {"id": place})
        sql(text("""INSERT INTO users (email, password_hash, display_name, locale, is_active_account, session_token,
                    created_at) SELECT 'bench' || g || '@example.org', 'x', '居民' || g, 'zh_CN', true,
                    md5(g::text), now() FROM generate_series(1, 10000) g"""))
        first_user = sql(text("SELECT min(id) FROM users")).scalar()
        fund = sql(text("""INSERT INTO funds (place_id, kind, name, description, currency, is_active, created_at,
                           balance_minor, raised_minor, disbursed_minor)
                           VALUES (:place, 'community_welfare_fund', '基准社区公益金', '', 'CNY', true, now(), 0, 0, 0)
                           RETURNING id"""), {"place": place}).scalar()
        campaign = sql(text("""INSERT INTO campaigns (fund_id, title, summary, story_md, goal_minor, currency,
                               starts_at, ends_at, funding_model, purpose_kind, purpose_text, status, created_by_id,
                               created_at, published_at, raised_minor)
                               VALUES (:fund, '百万善款的热门众筹', '基准测试', '', 1000000000, 'CNY',
                               now() - interval '30 days', now() + interval '30 days', 'keep_it_all', 'general', '',
                               'live', :user, now(), now(), 0) RETURNING id"""),
                       {"fund": fund, "user": first_user}).scalar()
        teams = [sql(text("""INSERT INTO teams (campaign_id, name, story, goal_minor, captain_id, created_at,
                             raised_minor) VALUES (:campaign, :name, '', 5000000, :captain, now(), 0) RETURNING id"""),
                     {"campaign": campaign, "name": f"小分队{i}", "captain": first_user + i}).scalar()
                 for i in range(3)]
        for index, team in enumerate(teams):
            sql(text("""INSERT INTO team_members (team_id, user_id, joined_at)
                        SELECT :team, :first + :offset + g, now() FROM generate_series(0, 32) g"""),
                {"team": team, "first": first_user, "offset": index * 33})
        params = {"fund": fund, "campaign": campaign, "t1": teams[0], "t2": teams[1], "t3": teams[2],
                  "first": first_user, "n": gifts, "cash": f"fund:{fund}:cash"}
        # a gift of 10 to 59 yuan; every third to a team; donors among 10,000 residents
        sql(text("""INSERT INTO donations (id, fund_id, campaign_id, team_id, donor_id, donor_name, display_mode,
                    message, amount_minor, currency, refunded_minor, provider, frequency, status, receipt_number,
                    created_at, succeeded_at)
                    SELECT g, :fund, :campaign,
                           CASE g % 6 WHEN 0 THEN :t1 WHEN 2 THEN :t2 WHEN 4 THEN :t3 END,
                           :first + (g % 10000), '居民' || (g % 10000),
                           (ARRAY['named', 'initials', 'anonymous'])[1 + g % 3], '',
                           1000 + (g % 50) * 100, 'CNY', 0, 'sandbox', 'one_off', 'succeeded',
                           'R2026-' || lpad(g::text, 8, '0'),
                           now() - make_interval(secs => (:n - g)), now() - make_interval(secs => (:n - g))
                    FROM generate_series(1, :n) g"""), params)
        sql(text("""INSERT INTO ledger_entries (id, kind, fund_id, campaign_id, team_id, donation_id, description,
                    currency, created_at)
                    SELECT id, 'gift', fund_id, campaign_id, team_id, id, 'gift #' || id, 'CNY', succeeded_at
                    FROM donations"""))
        sql(text("""INSERT INTO postings (id, entry_id, account, amount_minor, currency)
                    SELECT 2 * id - 1, id, 'external:donors', -amount_minor, 'CNY' FROM donations
                    UNION ALL
                    SELECT 2 * id, id, :cash, amount_minor, 'CNY' FROM donations"""), params)
        for table in ("donations", "ledger_entries", "postings"):
            sql(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        sql(text("""UPDATE funds SET raised_minor = s.total, balance_minor = s.total
                    FROM (SELECT sum(amount_minor) AS total FROM donations) s WHERE funds.id = :fund"""), params)
        sql(text("""UPDATE campaigns SET raised_minor = (SELECT sum(amount_minor) FROM donations)
                    WHERE id = :campaign"""), params)
        sql(text("""UPDATE teams SET raised_minor = coalesce((SELECT sum(amount_minor) FROM donations d
                    WHERE d.team_id = teams.id), 0) WHERE campaign_id = :campaign"""), params)
        donor_tallies_migration().backfill_donor_tallies(lambda statement: sql(text(statement)))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        return {"campaign": campaign, "fund": fund, "seconds": time.perf_counter() - started, "reused": False}


def donor_tallies_migration():
    """Migration 0005, whose backfill fills the donor tallies and counts of gifts loaded in bulk."""
    import importlib.util

    path = ROOT / "migrations" / "versions" / "0005_donor_tallies.py"
    spec = importlib.util.spec_from_file_location("donor_tallies_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pending_donations(app, campaign_id: int, count: int, label: str) -> list[tuple[int, str]]:
    """Pending Stripe donations of the hot campaign, as if `count` donors had just pressed "pay"."""
    from portal.extensions import db

    with app.app_context():
        rows = db.session.execute(text("""
            INSERT INTO donations (fund_id, campaign_id, donor_id, donor_name, display_mode, message, amount_minor,
                                   currency, refunded_minor, provider, frequency, status, provider_session_id,
                                   created_at)
            SELECT c.fund_id, c.id, (SELECT min(id) FROM users) + g % 10000, '基准捐赠人', 'named', '',
                   2000 + g % 7, 'CNY', 0, 'stripe', 'one_off', 'pending', 'cs_bench_' || :label || '_' || g, now()
            FROM campaigns c, generate_series(1, :count) g WHERE c.id = :campaign
            RETURNING id, provider_session_id, amount_minor"""),
            {"campaign": campaign_id, "count": count, "label": f"{label}{time.time_ns()}"}).all()
        db.session.commit()
    return [(row.id, row.provider_session_id, row.amount_minor) for row in rows]


def completed_event(donation_id: int, session_id: str, amount: int) -> dict:
    from tests.payments.fake_stripe import event

    return event("checkout.session.completed", {
        "id": session_id, "object": "checkout.session", "mode": "payment", "status": "complete",
        "payment_status": "paid", "amount_total": amount, "currency": "cny",
        "client_reference_id": f"donation-{donation_id}", "payment_intent": f"pi_bench_{donation_id}",
        "metadata": {"donation_id": str(donation_id)}})


def webhook_rate(app, campaign_id: int, count: int, threads: int, label: str) -> dict:
    from tests.payments.fake_stripe import signed

    donations = pending_donations(app, campaign_id, count, label)
    deliveries = [signed(completed_event(*row), WEBHOOK_SECRET) for row in donations]
    latencies: list[float] = []
    failures: list = []
    lock = threading.Lock()
    chunks = [deliveries[i::threads] for i in range(threads)]

    def worker(chunk):
        client = app.test_client()
        for body, headers in chunk:
            started = time.perf_counter()
            response = client.post("/webhooks/stripe", data=body, headers=headers)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status_code != 200 or not response.get_json()["outcome"].startswith("credited"):
                    failures.append((response.status_code, response.get_data(as_text=True)[:200]))

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    seconds = time.perf_counter() - started
    return {"count": count, "threads": threads, "seconds": seconds, "per_second": count / seconds,
            "p50_ms": 1000 * statistics.median(latencies),
            "p95_ms": 1000 * statistics.quantiles(latencies, n=20)[18], "failures": len(failures),
            "first_failure": failures[0] if failures else None}


def page_rate(app, path: str, count: int, threads: int, budget: float) -> dict:
    """Up to `count` GETs of `path` from `threads` threads, stopping after `budget` seconds."""
    latencies: list[float] = []
    lock = threading.Lock()
    statuses = set()

    def worker(n):
        client = app.test_client()
        for _ in range(n):
            if time.perf_counter() - clock["start"] > budget:
                break
            started = time.perf_counter()
            response = client.get(path, headers={"Accept-Language": "zh-CN"})
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses.add(response.status_code)

    app.test_client().get(path)  # warm-up: templates compiled, connections opened
    clock = {"start": time.perf_counter()}
    started = clock["start"]
    workers = [threading.Thread(target=worker, args=(count // threads,)) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    seconds = time.perf_counter() - started
    return {"path": path, "count": len(latencies), "threads": threads, "per_second": len(latencies) / seconds,
            "p50_ms": 1000 * statistics.median(latencies), "p95_ms": 1000 * statistics.quantiles(latencies, n=20)[18],
            "statuses": sorted(statuses)}


def slowest_queries(app, path: str, top: int = 5) -> list[tuple[float, str]]:
    """The SQL statements of one request to `path`, slowest first."""
    from portal.extensions import db

    timings: list[tuple[float, str]] = []
    starts: dict = {}

    def before(conn, cursor, statement, parameters, context, executemany):
        starts[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        timings.append((1000 * (time.perf_counter() - starts.pop(id(cursor), time.perf_counter())),
                        " ".join(statement.split())[:160]))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        app.test_client().get(path)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return len(timings), sorted(timings, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="bench")
    parser.add_argument("--gifts", type=int, default=1_000_000)
    parser.add_argument("--webhooks", type=int, default=2_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds at most per page measurement")
    parser.add_argument("--keep", action="store_true", help="reuse an already seeded database")
    parser.add_argument("--pages-only", action="store_true", help="skip the webhook measurement")
    args = parser.parse_args()
    if args.database == "test":
        sys.exit("the benchmark never touches the `test` database other engineers use")

    from tests.payments.fake_stripe import FakeStripe

    fake = FakeStripe()
    fake_url = fake.start()
    ensure_database(args.admin_url, args.database, reset=not args.keep)
    database_url = args.admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + \
        args.database
    app = make_app(database_url, fake_url)
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)

    seeded = seed(app, args.gifts)
    print(f"seeded {args.gifts:,} gifts in {seeded['seconds']:.1f} s (campaign {seeded['campaign']})"
          + (" [reused]" if seeded["reused"] else ""), flush=True)

    if not args.pages_only:
        webhooks(app, seeded, args)
    pages(app, seeded, args)
    fake.stop()


def webhooks(app, seeded: dict, args) -> None:
    one = webhook_rate(app, seeded["campaign"], args.webhooks // 2, 1, "serial")
    print(f"webhooks, 1 thread:  {one['per_second']:.0f} gifts/s  (p50 {one['p50_ms']:.1f} ms, "
          f"p95 {one['p95_ms']:.1f} ms, {one['count']} gifts, {one['failures']} failures)", flush=True)
    many = webhook_rate(app, seeded["campaign"], args.webhooks // 2, args.threads, "threads")
    print(f"webhooks, {args.threads} threads: {many['per_second']:.0f} gifts/s  (p50 {many['p50_ms']:.1f} ms, "
          f"p95 {many['p95_ms']:.1f} ms, {many['count']} gifts, {many['failures']} failures)", flush=True)
    if one["failures"] or many["failures"]:
        print("first failure:", one["first_failure"] or many["first_failure"])

    from portal.extensions import db
    from portal.funds import ledger

    with app.app_context():
        raised = db.session.execute(text("SELECT raised_minor FROM campaigns WHERE id = :id"),
                                    {"id": seeded["campaign"]}).scalar()
        assert raised == ledger.campaign_raised(seeded["campaign"]), "campaign cache differs from the ledger"
        assert ledger.unbalanced_entries() == [], "unbalanced ledger entries"
        total = db.session.execute(text("SELECT count(*) FROM donations")).scalar()
    print(f"checked: campaign cache equals the ledger sum ({raised / 100:,.2f} yuan), {total:,} donations", flush=True)


def pages(app, seeded: dict, args) -> None:

    for path in (f"/campaigns/{seeded['campaign']}", f"/funds/{seeded['fund']}"):
        count, slow = slowest_queries(app, path)
        serial = page_rate(app, path, args.requests, 1, args.budget)
        parallel = page_rate(app, path, args.requests, args.threads, args.budget)
        print(f"{path}: {serial['per_second']:.1f} req/s 1 thread (p50 {serial['p50_ms']:.0f} ms), "
              f"{parallel['per_second']:.1f} req/s {args.threads} threads (p95 {parallel['p95_ms']:.0f} ms); "
              f"status {serial['statuses']}; {count} SQL statements; {serial['count']}+{parallel['count']} "
              "requests", flush=True)
        for milliseconds, statement in slow[:3]:
            print(f"    {milliseconds:8.1f} ms  {statement}")


if __name__ == "__main__":
    main()
