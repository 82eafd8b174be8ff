"""Pilots: proof-of-value experiments with randomised holdouts, sound statistics and a gate decision."""
