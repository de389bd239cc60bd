"""Shared pieces used by every domain: errors, time, mail, uploads, pagination, policy helpers."""
