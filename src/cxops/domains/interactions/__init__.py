"""Interactions: contacts, their participants and turns, agent state events, and ingestion."""
