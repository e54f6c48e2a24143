"""``python -m mbo_lib <subcommand> ...``: the ``mbo`` command line (see :mod:`mbo_lib.cli`)."""
import sys

from .cli import main

sys.exit(main())
