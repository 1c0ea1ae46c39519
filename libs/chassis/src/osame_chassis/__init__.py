"""Osame chassis: plumbing shared by every service (no domain rules live here)."""
