"""What needs asks of the domains built on it (CONTRIBUTING.md, "hooks"): needs sits below purchase of services,
so it cannot import a call; procurement registers these (portal/procurement/need_links.py)."""
from portal.core.hooks import Hook

tender_for_link = Hook(
    "needs.tender_for_link",
    "(target_id: int) -> the published call (with .id and .title) a need may be linked to, or None.")

tender_chain = Hook(
    "needs.tender_chain",
    "(target_ids: list[int]) -> {id: {'title', 'url', 'status', 'status_label'}}: how a need's page shows the "
    "calls answering it, in one query.")
