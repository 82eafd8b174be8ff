"""Workflows: rules that react to domain events with durable, audited steps."""
