"""Service projects: posted by verified organisations, with results against targets, updates and ratings."""
