"""pytest fixtures for the procurement work (owned by that work; registered in tests/conftest.py)."""
