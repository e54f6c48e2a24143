"""Offline MBO methods, each = surrogate training through the shared trainer + a search. Registry by name."""
from . import ga  # noqa: F401  (registers)
from . import ga_ensemble  # noqa: F401  (registers)
from . import coms  # noqa: F401  (registers)
from . import reinforce  # noqa: F401  (registers)
from . import bo_qei  # noqa: F401  (registers)
from . import cma_es  # noqa: F401  (registers)
from . import cbas  # noqa: F401  (registers)
from . import mins  # noqa: F401  (registers)
from . import matchopt  # noqa: F401  (registers)
from . import pgs  # noqa: F401  (registers)
from .base import Method, MethodConfig, MethodOutput
from .registry import METHODS, get_method, method_names, register

__all__ = ["Method", "MethodConfig", "MethodOutput", "METHODS", "get_method", "method_names", "register"]
