"""The portal as bench/side_by_side.py serves it under gunicorn: the bench database, the fake Stripe API.

Settings as bench/bench_payments.py makes them (webhook secret, providers, pool size), but not in test
mode, so errors are handled as in production and nothing test-only runs.
"""
import os

from bench_payments import make_app

app = make_app(os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_STRIPE_API"])
app.config["TESTING"] = False
