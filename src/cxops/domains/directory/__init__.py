"""Directory: the organisation's structure (regions, sites, teams, agents), queues and customers."""
