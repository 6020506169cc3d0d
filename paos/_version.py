"""The version of paos, recorded in every result and stored run."""

__version__ = "0.1.0"
