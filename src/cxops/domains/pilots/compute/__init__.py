"""Pure statistics for pilots (numpy/scipy only)."""
