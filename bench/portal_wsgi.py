"""The portal as bench/side_by_side.py serves it under gunicorn: the bench database, the fake Stripe API.

Settings as bench/bench_payments.py makes them (webhook secret, providers, pool size), but not in test
mode, so errors are handled as in production and nothing test-only runs. The anonymous visitors' page cache
(portal/core/page_cache.py) runs for BENCH_PAGE_CACHE_SECONDS (side_by_side.py --page-cache; 0 turns it off).
"""
import os

from bench_payments import make_app

app = make_app(os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_STRIPE_API"])
app.config["TESTING"] = False
app.config["PAGE_CACHE_SECONDS"] = float(os.environ.get("BENCH_PAGE_CACHE_SECONDS", "5"))
