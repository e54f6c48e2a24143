"""Training objectives: regression terms here; COMs, IGNITE and MATCH-OPT terms in their own modules."""
from .regression import LOSSES, gaussian_nll, mse

__all__ = ["LOSSES", "gaussian_nll", "mse"]
