"""cxops: orchestration and intelligence layer for customer-experience operations."""

__version__ = "0.1.0"
