"""Pure compute of workforce management (no SQLAlchemy, no FastAPI): testable and reusable alone."""
