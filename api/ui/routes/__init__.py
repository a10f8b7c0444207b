"""The pages, one module per view (contract section 6)."""
