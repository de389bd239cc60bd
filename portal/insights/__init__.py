"""Insights (issue 14): the dashboards officials open every week, over the datasets of the `analytics` package."""
