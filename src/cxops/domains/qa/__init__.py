"""Quality assurance: score every interaction, human or AI, against one versioned rubric."""
