"""Resident needs (居民需求): posted, backed, triaged and linked to what answers them."""
