"""Community public-welfare funds: campaigns, teams, matching pools, disbursements, in-kind gifts, the ledger."""
