"""Pure analytics computation (pandas/numpy; no SQLAlchemy, no FastAPI)."""
