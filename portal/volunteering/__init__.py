"""Volunteering: opportunities with shifts, sign-ups with waitlists, check-in, and an hour ledger."""
