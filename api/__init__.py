"""The HTTP API of okr-ledger (contract section 3): FastAPI app, schemas, errors, auth."""
