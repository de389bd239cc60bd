"""What a call's page shows beyond the call itself, contributed by the modules that own each part.

The call page (views/calls.py) and the official's workbench ask every registered section in turn, so bids,
evaluation and awards each render their own part of the page without the calls module importing them.
Each section is `section(call, user) -> (template, context) | None` (None: nothing to show this user now).
The call page renders each template with its context dict as the template's own names, beside `call`,
`policy` and `is_buyer` (views/calls.py, _rendered_sections): a section template reads `awards`, `opened`...
as a page of its own would.
"""
from portal.core.hooks import Hook

call_page_sections = Hook(
    "procurement.call_page_sections",
    "(call, user) -> (template name, context dict) or None: a part of the call's page, in registration order.")

# (call) -> list of (label, url) of what the buyer must do next on this call, for the workbench.
buyer_actions = Hook("procurement.buyer_actions",
                     "(call) -> [(label, url), ...]: actions the call's buyer owes, shown on the workbench.")


def sections_for(call, user) -> list[tuple[str, dict]]:
    return [section for section in call_page_sections(call, user) if section is not None]
