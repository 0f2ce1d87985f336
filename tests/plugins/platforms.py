"""pytest fixtures for the platforms work (registered in tests/conftest.py)."""
