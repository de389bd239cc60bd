"""What a contract's page shows beyond the contract itself, contributed by the modules that own each part.

The contract page (views/contracts.py) asks every registered section in turn, so delivery reports,
sampling, payments and the final evaluation each render their own part of the page without the contracts
view importing them. Each section is `section(contract, user) -> (template, context) | None` (None: nothing
to show this user now). The page renders each template with its context dict as the template's own names,
beside `contract` and `policy` (portal/contracts/policy.py), and inserts the result as Markup, in registration
order (the same pattern as the call page: portal/procurement/sections.py and views/calls.py
`_rendered_sections`).
"""
from portal.core.hooks import Hook

contract_page_sections = Hook(
    "contracts.contract_page_sections",
    "(contract, user) -> (template name, context dict) or None: a part of the contract's page, "
    "in registration order.")


def sections_for(contract, user) -> list[tuple[str, dict]]:
    return [section for section in contract_page_sections(contract, user) if section is not None]
