"""Audit log of sensitive actions: append-only, filterable by admins."""
