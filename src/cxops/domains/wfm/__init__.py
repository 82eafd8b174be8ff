"""Workforce management: forecasting, AI-aware demand, staffing, scheduling and intraday."""
