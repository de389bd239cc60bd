"""The home page, navigation and other pages that belong to no single domain."""
