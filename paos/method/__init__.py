"""Stages 3-7: the methodology (read from the rulebook) over validated frames."""

__all__ = ["rulebook", "engine", "results", "diagnostic", "check", "card"]
