"""BikeNode: a self-hostable cycling platform."""

__version__ = "0.1.0"
