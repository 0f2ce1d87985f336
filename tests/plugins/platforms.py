"""pytest fixtures for the platforms work (owned by that work; registered in tests/conftest.py)."""
