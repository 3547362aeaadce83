"""The enrichment adapter: calls the providers the gate approved and settles their cost."""
