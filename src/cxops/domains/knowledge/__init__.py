"""Knowledge hub: sources, retrieval with citations, knowledge health and attribution."""
