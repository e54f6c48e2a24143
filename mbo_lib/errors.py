"""Exceptions raised at the library's boundary.

Every user-facing function validates its inputs and raises one of these with a message that says what was
received and what was expected, so users never have to read a traceback from deep inside torch or numpy.
"""


class MBOError(Exception):
    """Base class of every error mbo_lib raises on purpose."""


class UnknownTaskError(MBOError, KeyError):
    """A task id that is not registered."""

    def __str__(self):  # KeyError quotes its message; show it plainly
        return str(self.args[0])


class UnknownMethodError(MBOError, KeyError):
    """A method name that is not registered."""

    def __str__(self):
        return str(self.args[0])


class MissingDataError(MBOError, FileNotFoundError):
    """Task files are not where the data directory says they are."""


class MissingDependencyError(MBOError, ImportError):
    """An optional package (e.g. design-bench with MuJoCo for the Ant oracle) is not installed."""


class InvalidInputError(MBOError, ValueError):
    """Wrong shape, dtype, range, or NaN values in user input."""


class RecordStoreError(MBOError, OSError):
    """The run-record store cannot be written (read-only folder, a file where a folder should be, disk full)."""


class CorruptRecordError(MBOError, ValueError):
    """A run record that is not valid JSON or lacks the fields every record has."""
