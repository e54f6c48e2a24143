"""Search procedures over designs."""
from .gradient_ascent import gradient_ascent

__all__ = ["gradient_ascent"]
