"""Payments: donations through providers (Stripe, sandbox, offline), webhooks, refunds, disputes, receipts."""
