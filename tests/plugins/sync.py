"""pytest fixtures for the sync work (registered in tests/conftest.py)."""
