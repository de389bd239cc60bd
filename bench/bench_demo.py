#!/usr/bin/env python3
"""Benchmark of building the demo city (not a timed test; figures go to BENCHMARKS.md).

Builds the demo on an empty database, stage by stage in the order `portal demo` runs them (places,
users, organisations, funds with their campaigns and gifts, projects, needs, volunteering), prints the
seconds each stage took, then runs the whole demo a second time (a top-up that must add nothing) and
prints that time too. The tests check what the demo contains; only this script looks at the clock.

    .venv/bin/python bench/bench_demo.py                                              # a fresh SQLite file
    .venv/bin/python bench/bench_demo.py --database-url postgresql://postgres@127.0.0.1:5432/bench_demo

The PostgreSQL database must exist and be empty (it is migrated to head); never point it at `test`.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_INSTANCE_DIR", "/tmp/portal-bench-instance")


def make_app(database_url: str):
    from portal import create_app

    return create_app({"PORTAL_ENV": "test", "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False,
                       "PAYMENT_PROVIDERS": "sandbox,offline"})


def stages():
    """(name, callable) in the order demo_command runs them; later stages get what earlier ones return."""
    from portal.demo_city import seed_organisations, seed_places, seed_users
    from portal.funds.demo import seed_funds
    from portal.needs.demo import seed_needs
    from portal.projects.demo import seed_projects
    from portal.volunteering.demo import seed_volunteering

    found = {}
    return [
        ("places", lambda: found.setdefault("places", seed_places())),
        ("users", lambda: found.setdefault("users", seed_users(found["places"]))),
        ("organisations", lambda: seed_organisations(found["users"], found["places"])),
        ("funds, campaigns, gifts", seed_funds),
        ("projects", seed_projects),
        ("needs", seed_needs),
        ("volunteering", seed_volunteering),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file in /tmp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as folder:
        url = args.database_url or f"sqlite:///{folder}/demo.sqlite"
        app = make_app(url)
        from flask_migrate import upgrade

        from portal.extensions import db

        with app.app_context():
            upgrade()
            total = 0.0
            print(f"database: {url.split('@')[-1]}")
            for name, run in stages():
                started = time.perf_counter()
                run()
                db.session.commit()
                seconds = time.perf_counter() - started
                total += seconds
                print(f"  {name:<26} {seconds:7.1f} s")
            print(f"  {'whole demo, first run':<26} {total:7.1f} s")
            started = time.perf_counter()
            for _name, run in stages():
                run()
            db.session.commit()
            print(f"  {'second run (adds nothing)':<26} {time.perf_counter() - started:7.1f} s")


if __name__ == "__main__":
    main()
