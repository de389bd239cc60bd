"""What a contract's page shows beyond the contract itself, contributed by the modules that own each part."""
from portal.core.hooks import Hook

contract_page_sections = Hook("contracts.contract_page_sections", "(contract, user) -> (template, context) or None")
