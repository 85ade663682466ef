"""Change the floating dtype of a value (float32 <-> float64), differentiably."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd.op import Op, data_of
from autograd.value import Value


def _float_dtype(dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"astype: values hold floating data; got dtype {dt}")
    return dt


_astype_op = Op("astype", lambda x, dtype: np.asarray(x, dtype=dtype),
                lambda g, ans, x, dtype: astype(g, np.result_type(data_of(x))))  # identity


def astype(x: Any, dtype: Any) -> Any:
    """The same numbers in another float dtype (the gradient is cast back)."""
    return _astype_op(x, dtype=_float_dtype(dtype))


Value.astype = astype       # a Value method too (see autograd/value.py)
