"""paperwire: each day's new research papers, scored for each reader and mailed as a digest."""

__version__ = "0.1.0"

__all__ = ["__version__"]
