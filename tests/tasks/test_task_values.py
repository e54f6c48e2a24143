"""``Task(...)`` refuses NaN and infinite data values, naming the array, the count and the first row (issue 30)."""
from __future__ import annotations

import numpy as np
import pytest

from mbo_lib.errors import InvalidInputError
from mbo_lib.tasks.base import Task


def oracle(d):
    return d[:, :1]


def test_nan_in_x_is_refused():
    x = np.zeros((5, 3), dtype=np.float32)
    x[2, 1] = x[4, 0] = x[4, 2] = np.nan
    with pytest.raises(InvalidInputError, match=r"^toy: x contains 3 NaN values in 2 of 5 rows \(first: row 2\); "
                                                r"drop or repair those rows$"):
        Task("toy", x, np.zeros((5, 1), dtype=np.float32), 0.0, 1.0, oracle=oracle)


def test_infinite_x_and_nan_y_name_the_first_row():
    x = np.zeros((4, 2), dtype=np.float32)
    x[3, 0] = np.inf
    with pytest.raises(InvalidInputError, match=r"toy: x contains 1 infinite values in 1 of 4 rows \(first: row 3\)"):
        Task("toy", x, np.zeros((4, 1), dtype=np.float32), 0.0, 1.0, oracle=oracle)
    y = np.array([[0.0], [1.0], [np.nan], [np.nan]], dtype=np.float32)
    with pytest.raises(InvalidInputError, match=r"toy: y contains 2 NaN values in 2 of 4 rows \(first: row 2\)"):
        Task("toy", np.zeros((4, 2), dtype=np.float32), y, 0.0, 1.0, oracle=oracle)


def test_integer_x_is_not_checked_for_nan():
    Task("toy", np.zeros((2, 3), dtype=np.int32), np.zeros((2, 1), dtype=np.float32), 0.0, 1.0, oracle=oracle,
         num_classes=4)
