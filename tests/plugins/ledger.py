"""pytest fixtures for the ledger work (owned by that work; registered in tests/conftest.py)."""
