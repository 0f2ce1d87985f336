"""pytest fixtures for the procurement work (registered in tests/conftest.py)."""
