#!/usr/bin/env python3
"""In-process profile of the side-by-side shapes on the seeded `bench` database (figures go to BENCHMARKS.md).

For each shape: Python function calls per request (cProfile; the box's load does not move it), Python CPU per
request (thread CPU time, less sensitive to load than wall time) and SQL statements per request, through the
test client (no HTTP server). Run bench/side_by_side.py once first so the database is seeded.

    .venv/bin/python bench/profile_paths.py                  # 60 requests per page, 60 webhook gifts
    .venv/bin/python bench/profile_paths.py --top 25 --only webhook
"""
import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
os.environ.setdefault("PORTAL_INSTANCE_DIR", "/tmp/portal-bench-instance")

import bench_payments  # noqa: E402
from sqlalchemy import event, text  # noqa: E402


def profile(label: str, calls, top: int, show_statements: bool = False, sort: str = "tottime",
            cpu_clock: bool = False) -> None:
    from portal.extensions import db

    statements = []
    engine = calls.engine
    listener = lambda *args: statements.append(1)  # noqa: E731
    calls.warm()
    event.listen(engine, "before_cursor_execute", listener)
    cpu = time.thread_time()
    count = calls.run()  # CPU time without the profiler's overhead
    cpu = time.thread_time() - cpu
    event.remove(engine, "before_cursor_execute", listener)
    # --cpu: the profile's times are the thread's CPU time, so waits for the database do not count
    profiler = cProfile.Profile(time.thread_time) if cpu_clock else cProfile.Profile()
    profiler.enable()
    calls.run()
    profiler.disable()
    stats = pstats.Stats(profiler)
    print(f"{label:9s} {stats.total_calls / count:9,.0f} calls/request  {1000 * cpu / count:6.1f} ms CPU/request  "
          f"{len(statements) / count:5.1f} SQL statements/request  ({count} requests)", flush=True)
    if show_statements:
        seen = []
        listener = lambda conn, cursor, statement, *rest: seen.append(" ".join(statement.split())[:150])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        calls.count, saved = 1, calls.count
        calls.run()
        calls.count = saved
        event.remove(engine, "before_cursor_execute", listener)
        print("\n".join(f"    {n + 1:2d}. {statement}" for n, statement in enumerate(seen)))
    if top:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(top)
        print(out.getvalue())
    del db


class Pages:
    def __init__(self, app, path, count, signed_in=False):
        from portal.extensions import db

        self.app, self.path, self.count = app, path, count
        with app.app_context():
            self.engine = db.engine
        self.client = app.test_client()
        if signed_in:
            self.sign_in()

    def sign_in(self):
        """As side_by_side.py --visitor signed-in: the seed's first resident, then past the sign-in's write."""
        import re

        from side_by_side import BENCH_PASSWORD, bench_visitors

        (email,) = bench_visitors(self.app, 1)
        page = self.client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        response = self.client.post("/login", data={"csrf_token": token, "email": email, "password": BENCH_PASSWORD})
        assert response.status_code == 302, response.status_code
        with self.client.session_transaction() as session:
            session.pop("wrote_at", None)

    def warm(self):
        for _ in range(3):
            assert self.client.get(self.path, headers={"Accept-Language": "zh-CN"}).status_code == 200

    def run(self):
        for _ in range(self.count):
            response = self.client.get(self.path, headers={"Accept-Language": "zh-CN"})
            assert response.status_code == 200, response.status_code
        return self.count


class Webhooks:
    def __init__(self, app, campaign, count):
        from portal.extensions import db
        from tests.payments.fake_stripe import signed

        self.app, self.count = app, count
        with app.app_context():
            self.engine = db.engine
        rows = bench_payments.pending_donations(app, campaign, 2 * count + 4, "profile")
        self.deliveries = [signed(bench_payments.completed_event(*row), bench_payments.WEBHOOK_SECRET)
                           for row in rows]
        self.client = app.test_client()

    def _post(self, body, headers):
        response = self.client.post("/webhooks/stripe", data=body, headers=headers)
        assert response.status_code == 200 and response.get_json()["outcome"].startswith("credited"), \
            response.get_data(as_text=True)[:200]

    def warm(self):
        for body, headers in self.deliveries[:3]:
            self._post(body, headers)

    def run(self):
        for _ in range(self.count):
            self._post(*self.deliveries.pop())
        return self.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="bench")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--top", type=int, default=0, help="print the N functions with the most own time")
    parser.add_argument("--only", help="comma-separated shapes: campaign,fund,projects,webhook,layout")
    parser.add_argument("--statements", action="store_true", help="print the SQL statements of one request")
    parser.add_argument("--cpu", action="store_true", help="--top in CPU time (no database waits)")
    parser.add_argument("--sort", default="tottime", help="the order of --top: tottime (own time) or cumulative")
    parser.add_argument("--page-cache", type=float, default=None, help="PAGE_CACHE_SECONDS for the run")
    parser.add_argument("--visitor", choices=("anonymous", "signed-in"), default="anonymous",
                        help="who loads the pages (signed-in: the seed's first resident's session)")
    args = parser.parse_args()
    if args.database == "test":
        sys.exit("the benchmark never touches the `test` database other engineers use")

    from tests.payments.fake_stripe import FakeStripe

    fake = FakeStripe()
    fake_url = fake.start()
    database_url = (args.admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/"
                    + args.database)
    app = bench_payments.make_app(database_url, fake_url)
    app.config["TESTING"] = False
    if args.page_cache is not None:
        app.config["PAGE_CACHE_SECONDS"] = args.page_cache
    with app.app_context():
        from portal.extensions import db

        campaign, fund = db.session.execute(text("SELECT id, fund_id FROM campaigns ORDER BY id LIMIT 1")).one()
    only = set(args.only.split(",")) if args.only else None
    signed_in = args.visitor == "signed-in"
    shapes = [("campaign", lambda: Pages(app, f"/campaigns/{campaign}", args.requests, signed_in)),
              ("fund", lambda: Pages(app, f"/funds/{fund}", args.requests, signed_in)),
              ("projects", lambda: Pages(app, "/projects/", args.requests, signed_in)),
              ("layout", lambda: Pages(app, "/privacy", args.requests, signed_in)),  # the floor: layout, no query
              ("webhook", lambda: Webhooks(app, campaign, args.requests))]
    try:
        for label, make in shapes:
            if not only or label in only:
                profile(label, make(), args.top, args.statements, args.sort, args.cpu)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
