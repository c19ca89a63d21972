"""PDF documents (reportlab) and charts (matplotlib Figure + Agg, never pyplot)."""
