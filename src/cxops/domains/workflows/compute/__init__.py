"""Pure rule handling: parsing with line numbers, conditions, templates, cycle detection."""
