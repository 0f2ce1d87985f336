"""pytest fixtures for the sync work (owned by that work; registered in tests/conftest.py)."""
