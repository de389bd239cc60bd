"""Analytics: SQL aggregates read into pandas (datasets), pure metrics on DataFrames, plotly figures.

Nothing here imports Flask or the portal's models, so the same code runs in a notebook, a CLI
export or a background job against a read replica.
"""
