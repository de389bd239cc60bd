"""In-portal notifications (and optional email) for followers and participants."""
