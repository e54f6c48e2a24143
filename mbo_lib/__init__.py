"""mbo_lib: the library behind mbo-companion's notebooks (IGNITE, MATCH-OPT, PGS on Design-Bench).

Layers (dependencies point one way): ``tasks`` (data + oracles) -> ``surrogates`` + ``objectives`` (models, the
shared trainer, loss terms) -> ``search`` (optimizers over designs) -> ``methods`` (surrogate + search, one
module per method) -> ``experiments`` (run specs, record store, executors) -> ``reporting`` (tables, plots,
published numbers). Notebooks sit on top.
"""
__version__ = "0.1.0"

from . import numerics  # noqa: E402

numerics.apply()  # before torch computes anything: portable kernel paths with MBO_NUMERICS=portable (numerics.py)

from . import tasks  # noqa: E402,F401
from .config import pick_device  # noqa: E402,F401
