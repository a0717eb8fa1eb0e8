"""The billing ledger consumer: balances per authorization, provider and fiscal period."""
