"""pytest fixtures for the ledger work (registered in tests/conftest.py)."""
