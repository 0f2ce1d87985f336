"""pytest fixtures for the odoo work (registered in tests/conftest.py)."""
