"""linkplus: an open, self-hostable connected-vehicle services platform."""

__version__ = "0.1.0"
