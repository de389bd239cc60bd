"""Accounts: users, sign-in, password reset, profile and role assignments on scopes."""
