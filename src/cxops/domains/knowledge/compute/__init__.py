"""Pure compute of the knowledge domain (parsing, chunking, ranking, health); no SQLAlchemy, no FastAPI."""
