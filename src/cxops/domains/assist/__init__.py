"""Real-time assist: streaming co-pilot, intent models and auto-documentation (issue #11)."""
