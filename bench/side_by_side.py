#!/usr/bin/env python3
"""The portal beside a bare Flask app of the same shapes, over HTTP through gunicorn, interleaved.

One command (figures go to BENCHMARKS.md):

    .venv/bin/python bench/side_by_side.py                 # seed `bench` if empty, 3 rounds of 8 s per run
    .venv/bin/python bench/side_by_side.py --rounds 5 --seconds 10 --webhooks 300

1. Makes sure the PostgreSQL database `bench` (never `test`) holds the hot campaign with 1,000,000 gifts
   (bench/bench_payments.py seeds it with INSERT ... SELECT generate_series, then the migrations run), plus
   60 published service projects for the project list, and the bare app's copy tables.
2. Starts the portal (bench/portal_wsgi.py) and the bare app (bench/bare_app.py) side by side, each under
   gunicorn with 2 workers x 8 threads (gthread), the same database and pool sizes.
3. Each round loads one at a time, in turn: portal then bare for each page shape with wrk (2 threads, 16
   connections, --latency), then webhook gifts: the portal's signed `checkout.session.completed` events
   to /webhooks/stripe against the bare app's insert + counter update, each from 16 keep-alive
   connections of a Python load loop. Absolute numbers on a shared 2-core box drift by 2x between
   minutes; a ratio of two runs a few seconds apart drifts much less, so the ratios are what to read.
   Before each webhook run both apps' written tables are vacuumed (vacuum_written_tables: this machine's
   PostgreSQL runs with autovacuum off, a production one does not).
4. Prints every run and the median portal/bare ratio per shape, and checks the books afterwards (the
   campaign's cached total and donor count against the ledger and donations, balanced entries).
"""
import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
os.environ.setdefault("PORTAL_INSTANCE_DIR", "/tmp/portal-bench-instance")

import bench_payments  # noqa: E402
from sqlalchemy import text  # noqa: E402

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
WRK = "/usr/bin/wrk"


def prepare(app, campaign_id: int) -> None:
    """Projects for the list page, and the bare app's copies of the gift and total tables."""
    from portal.extensions import db

    with app.app_context():
        sql = db.session.execute
        if not sql(text("SELECT count(*) FROM service_projects")).scalar():
            user = sql(text("SELECT min(id) FROM users")).scalar()
            place = sql(text("SELECT min(id) FROM places")).scalar()
            organisation = sql(text("""
                INSERT INTO organisations (name, legal_form, credit_code, home_place_id, description, contact_name,
                    contact_phone, contact_email, status, created_by_id, created_at)
                VALUES ('基准社工服务中心', 'private_non_enterprise', '52420500BENCH0001X', :place, '', '王社工',
                    '13800000000', 'org@example.org', 'verified', :user, now()) RETURNING id"""),
                {"place": place, "user": user}).scalar()
            sql(text("""
                INSERT INTO service_projects (organisation_id, title, summary, description_md, category, service_type,
                    delivery_model, target_groups, budget_minor, currency, funding_sources, beneficiaries_target,
                    status, created_by_id, rating_count, rating_sum, follower_count, created_at, published_at)
                SELECT :organisation, '长者助餐服务 ' || g, '每天为社区长者送一顿热饭', '', 'elderly_care', 'care',
                    'professional_social_work', '', 1000000, 'CNY', '', 100, 'published', :user, 0, 0, 0, now(),
                    now() - make_interval(hours => g)
                FROM generate_series(1, 60) g"""), {"organisation": organisation, "user": user})
        sql(text("CREATE TABLE IF NOT EXISTS bench_bare_gifts (LIKE donations INCLUDING ALL)"))
        sql(text("CREATE TABLE IF NOT EXISTS bench_bare_totals (id integer PRIMARY KEY, raised_minor bigint NOT NULL)"))
        sql(text("INSERT INTO bench_bare_totals VALUES (:id, 0) ON CONFLICT DO NOTHING"), {"id": campaign_id})
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))


def start(name: str, module: str, port: int, env: dict, args) -> subprocess.Popen:
    command = [GUNICORN, "--workers", str(args.workers), "--threads", str(args.threads), "--worker-class",
               "gthread", "--bind", f"127.0.0.1:{port}", "--chdir", str(BENCH), "--log-level", "warning",
               "--keep-alive", "5", module]
    process = subprocess.Popen(command, env={**os.environ, **env, "PYTHONPATH": f"{ROOT}:{BENCH}"},
                               start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/__ready__", timeout=2)
        except urllib.error.HTTPError:
            return process  # the app answers (404 for this path): it is up
        except OSError:
            time.sleep(0.5)
    stop(process)
    sys.exit(f"{name} did not start on port {port}")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> dict:
    headers = ["-H", "Accept-Language: zh-CN"] + (["-s", script] if script else [])
    output = subprocess.run([WRK, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *headers, url],
                            capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    p50_ms = float(p50.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p50.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"per_second": rate, "p50_ms": p50_ms, "errors": int(errors.group(1)) if errors else 0}


def post_load(port: int, requests: list[tuple[str, bytes, dict]], connections: int, ok) -> dict:
    """POST every (path, body, headers) from `connections` keep-alive connections; rate and failures."""
    chunks = [requests[i::connections] for i in range(connections)]
    latencies, failures, lock = [], [], threading.Lock()

    def worker(chunk):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for path, body, headers in chunk:
            started = time.perf_counter()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status != 200 or not ok(data):
                    failures.append((response.status, data[:200]))
        connection.close()

    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {"per_second": len(requests) / seconds, "p50_ms": 1000 * statistics.median(latencies),
            "errors": len(failures), "first_failure": failures[0] if failures else None}


BENCH_PASSWORD = "Bench-Visitor-2026!"


def bench_visitors(app, people: int) -> list[str]:
    """The seed's first `people` residents, given BENCH_PASSWORD: their emails, to sign in with."""
    from portal.accounts.passwords import hash_password
    from portal.extensions import db

    with app.app_context():
        emails = db.session.execute(text("SELECT email FROM users ORDER BY id LIMIT :n"), {"n": people}).scalars().all()
        db.session.execute(text("UPDATE users SET password_hash = :hash WHERE email = ANY(:emails)"),
                           {"hash": hash_password(BENCH_PASSWORD), "emails": list(emails)})
        db.session.commit()
    return list(emails)


def sign_in(app, port: int, people: int) -> list[str]:
    """Sign the seed's first `people` residents in over HTTP, as browsers would; their session cookies, for wrk to
    take in turn (one person per request). Every request carries a signed-in session: no anonymous page cache,
    the person's own header, and their own unread count and team (kept per person for the seconds, so with many
    people most of those are read again, as on a real giving day)."""
    emails = bench_visitors(app, people)
    cookies = []
    for email in emails:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/login")
        response = connection.getresponse()
        page = response.read().decode()
        cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": BENCH_PASSWORD})
        connection.request("POST", "/login", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 302:
            sys.exit(f"signing in {email} for --visitor signed-in answered {response.status}")
        cookies.append(response.getheader("Set-Cookie").split(";", 1)[0])
    return cookies


def cookie_script(cookies: list[str]) -> str:
    """A wrk Lua script that sends the cookies in turn, one per request."""
    path = Path("/tmp") / f"side_by_side_cookies_{os.getpid()}.lua"
    listed = ",\n".join(json.dumps(cookie) for cookie in cookies)
    path.write_text(f"local cookies = {{\n{listed}\n}}\nlocal n = 0\n"
                    "request = function()\n  n = n + 1\n"
                    "  wrk.headers[\"Cookie\"] = cookies[(n % #cookies) + 1]\n"
                    "  return wrk.format(nil)\nend\n")
    return str(path)


# the tables a gift writes, the portal's and the bare app's alike
WRITTEN_TABLES = ("campaigns", "funds", "teams", "donor_tallies", "webhook_events", "donations", "ledger_entries",
                  "postings", "audit_events", "bench_bare_totals", "bench_bare_gifts")


def vacuum_written_tables(app) -> None:
    """VACUUM ANALYZE what both apps' gifts write, before each round. A production PostgreSQL vacuums
    the rows every gift updates (a campaign's, a fund's) continuously; the machines these runs are made on run
    PostgreSQL with autovacuum off (SHOW autovacuum), and without a vacuum the dead versions of those rows pile
    up round after round (the portal's gift updates four such rows, the bare one one): the ratio fell from
    0.55x to 0.36x over an hour of runs, and one VACUUM of the small tables brought it back (BENCHMARKS.md)."""
    from portal.extensions import db

    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        autovacuum = connection.execute(text("SHOW autovacuum")).scalar()
        for table in WRITTEN_TABLES:
            connection.execute(text(f"VACUUM ANALYZE {table}"))
    print(f"   vacuumed the tables both apps' gifts write (this server's autovacuum: {autovacuum})", flush=True)


def portal_webhooks(app, campaign_id: int, count: int, label: str) -> list:
    from tests.payments.fake_stripe import signed

    rows = bench_payments.pending_donations(app, campaign_id, count, label)
    requests = []
    for row in rows:
        body, headers = signed(bench_payments.completed_event(*row), bench_payments.WEBHOOK_SECRET)
        body = body if isinstance(body, bytes) else body.encode()
        requests.append(("/webhooks/stripe", body, {**headers, "Content-Type": "application/json"}))
    return requests


def bare_gifts(campaign_id: int, count: int) -> list:
    return [("/gift", json.dumps({"campaign_id": campaign_id, "amount_minor": 2000 + i % 7}).encode(),
             {"Content-Type": "application/json"}) for i in range(count)]


def credited(data: bytes) -> bool:
    return json.loads(data).get("outcome", "").startswith("credited")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="bench")
    parser.add_argument("--gifts", type=int, default=1_000_000, help="gifts seeded when the database is empty")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--webhooks", type=int, default=300, help="gifts per webhook run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=5012, help="the portal's port; the bare app's is +900")
    parser.add_argument("--only", help="comma-separated shapes: campaign,fund,projects,webhook")
    parser.add_argument("--page-cache", type=float, default=5.0,
                        help="the portal's PAGE_CACHE_SECONDS (anonymous visitors' page cache and everyone's "
                             "public parts of pages; 0: off)")
    parser.add_argument("--visitor", choices=("anonymous", "signed-in"), default="anonymous",
                        help="who loads the portal's pages: wrk without a cookie, or with a signed-in session")
    parser.add_argument("--people", type=int, default=200,
                        help="with --visitor signed-in: how many people's sessions wrk sends in turn")
    args = parser.parse_args()
    if args.database == "test":
        sys.exit("the benchmark never touches the `test` database other engineers use")

    from tests.payments.fake_stripe import FakeStripe

    fake = FakeStripe()
    fake_url = fake.start()
    bench_payments.ensure_database(args.admin_url, args.database, reset=False)
    database_url = (args.admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/"
                    + args.database)
    app = bench_payments.make_app(database_url, fake_url)
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    seeded = bench_payments.seed(app, args.gifts)
    campaign, fund = seeded["campaign"], seeded["fund"]
    prepare(app, campaign)
    with app.app_context():
        from portal.extensions import db

        gifts = db.session.execute(text("SELECT count(*) FROM donations WHERE campaign_id = :id"),
                                   {"id": campaign}).scalar()
    print(f"database {args.database}: campaign {campaign} holds {gifts:,} gifts", flush=True)

    env = {"BENCH_DATABASE_URL": database_url, "BENCH_STRIPE_API": fake_url,
           "BENCH_PAGE_CACHE_SECONDS": str(args.page_cache)}
    print(f"the portal's page cache for anonymous visitors: {args.page_cache:g} s", flush=True)
    portal = start("portal", "portal_wsgi:app", args.port, env, args)
    bare = start("bare app", "bare_app:app", args.port + 900, env, args)
    script = None
    if args.visitor == "signed-in":
        script = cookie_script(sign_in(app, args.port, args.people))
        time.sleep(args.page_cache)  # the sign-ins were writes: past them, the visitors' parts may be reused
    print(f"the portal's pages are loaded by {args.visitor} visitors"
          + (f" ({args.people} people in turn)" if script else ""), flush=True)
    shapes = [("campaign", f"/campaigns/{campaign}", f"/campaign/{campaign}"),
              ("fund", f"/funds/{fund}", f"/fund/{fund}"),
              ("projects", "/projects/", "/projects")]
    only = set(args.only.split(",")) if args.only else None
    ratios: dict[str, list[float]] = {}
    try:
        for round_number in range(1, args.rounds + 1):
            if not only or only - {"webhook"}:
                vacuum_written_tables(app)  # the pages read the rows the last round's gifts updated
            for shape, portal_path, bare_path in shapes:
                if only and shape not in only:
                    continue
                mine = wrk(f"http://127.0.0.1:{args.port}{portal_path}", args.seconds, args.connections, script)
                theirs = wrk(f"http://127.0.0.1:{args.port + 900}{bare_path}", args.seconds, args.connections)
                report(round_number, shape, mine, theirs, ratios)
            if only and "webhook" not in only:
                continue
            requests = portal_webhooks(app, campaign, args.webhooks, f"r{round_number}")
            vacuum_written_tables(app)
            mine = post_load(args.port, requests, args.connections, credited)
            theirs = post_load(args.port + 900, bare_gifts(campaign, args.webhooks), args.connections,
                               lambda data: True)
            report(round_number, "webhook", mine, theirs, ratios)
            if mine["first_failure"]:
                print("   first portal failure:", mine["first_failure"], flush=True)
    finally:
        stop(portal)
        stop(bare)
        fake.stop()
    print("\nmedian portal/bare ratio (goal >= 0.5):")
    for shape, values in ratios.items():
        print(f"  {shape:9s} {statistics.median(values):.2f}x  (runs: {', '.join(f'{v:.2f}' for v in values)})")
    check_books(app, campaign)


def report(round_number: int, shape: str, mine: dict, theirs: dict, ratios: dict) -> None:
    ratio = mine["per_second"] / theirs["per_second"]
    ratios.setdefault(shape, []).append(ratio)
    print(f"round {round_number} {shape:9s} portal {mine['per_second']:7.1f}/s (p50 {mine['p50_ms']:6.1f} ms, "
          f"{mine['errors']} errors)  bare {theirs['per_second']:7.1f}/s (p50 {theirs['p50_ms']:6.1f} ms, "
          f"{theirs['errors']} errors)  ratio {ratio:.2f}", flush=True)


def check_books(app, campaign_id: int) -> None:
    from portal.extensions import db
    from portal.funds import ledger
    from portal.funds.reconcile import donor_differences

    with app.app_context():
        raised, donors = db.session.execute(text("SELECT raised_minor, donor_count FROM campaigns WHERE id = :id"),
                                            {"id": campaign_id}).one()
        assert raised == ledger.campaign_raised(campaign_id), "campaign cache differs from the ledger"
        assert ledger.unbalanced_entries() == [], "unbalanced ledger entries"
        differences = donor_differences()
        assert differences == [], differences[:5]
    print(f"checked: campaign total {raised / 100:,.2f} yuan equals the ledger, {donors:,} donors equal the "
          "donations, every entry balances", flush=True)


if __name__ == "__main__":
    main()
