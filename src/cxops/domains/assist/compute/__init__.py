"""Pure computations of the assist domain (no SQLAlchemy, no FastAPI)."""
