"""Pure QA scoring: scorecards, detectors, scores with evidence (no ORM, no web)."""
