"""pytest fixtures for the odoo work (owned by that work; registered in tests/conftest.py)."""
