"""Many engagements: batch reruns, the results store, peer benchmarks, re-assessment, the portfolio report."""

__all__ = ["batch", "store", "peers", "reassessment", "report"]
