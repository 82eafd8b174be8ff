"""Analytics: metrics, drill-down, real-time view, learning loop and exports over interactions."""
