"""Stages 8-9: what a report shows, as HTML (nbconvert) and PDF (Chromium)."""

__all__ = ["report", "sections", "charts", "chart_engine", "run"]
