"""Tables, series and arrays kept in a pandas object's ``attrs`` that pandas can compare.

Why this exists. pandas (2.x) deep-copies ``attrs`` on almost every operation, and ``pd.concat`` keeps them only
if ``obj.attrs == attrs`` for every input. Python compares two dicts value by value with ``bool(a == b)``; for a
DataFrame, Series or ndarray ``a == b`` is elementwise, so ``bool`` raises "The truth value of a DataFrame is
ambiguous". That broke ``pd.concat([res1, res2])`` of estimator results and even ``repr(panel.year)`` (a long Series'
repr concatenates its head and tail, whose attrs are separate deep copies).

The fix: every producer stores such values through :func:`safe_attr`, which returns

* a DataFrame as :class:`AttrTable` and a Series as :class:`AttrSeries`: real pandas subclasses (``.loc``, ``[...]``,
  ``.query``, ``.to_numpy()``, ``isinstance(x, pd.DataFrame)`` all work as before) whose operations return *plain*
  DataFrames/Series;
* an ndarray as :class:`AttrArray`: a thin array wrapper (not an ndarray subclass, see its docstring) that numpy and
  pandas accept wherever an array is accepted (``np.asarray``, ufuncs, ``np.quantile``, indexing, ``.mean()``,
  ``pd.Series(x)``), returning plain ndarrays;
* a dict / list / tuple with its items made safe, recursively; anything else unchanged.

Equality rule (the one deliberate difference): ``a == b`` where *both* are ``AttrTable``/``AttrSeries``/``AttrArray``
is a single bool, content equality (``DataFrame.equals``, NaN equal to NaN; different kinds or shapes -> False). With
anything else (a scalar, a plain DataFrame or array) ``==`` keeps its usual elementwise meaning; ``.eq()`` is always
elementwise. Consequence: ``pd.testing.assert_frame_equal(plain, attr_table)`` fails its class check
(``isinstance(plain, AttrTable)``); compare ``attr_table`` on the left, pass ``check_frame_type=False`` or use
``pd.DataFrame(attr_table)``.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from numpy.lib.mixins import NDArrayOperatorsMixin

__all__ = ["AttrTable", "AttrSeries", "AttrArray", "safe_attr"]


def _same(a, b) -> bool:
    """Content equality of two wrapped attrs values, as one bool."""
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        return bool(a.equals(b))
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        return bool(a.equals(b)) and _names_equal(a.name, b.name)
    if isinstance(a, AttrArray) and isinstance(b, AttrArray):
        x, y = a._a, b._a
        if x.shape != y.shape:
            return False
        try:
            return bool(np.array_equal(x, y, equal_nan=True))
        except TypeError:  # equal_nan needs a numeric dtype (object / str arrays)
            return bool(np.array_equal(x, y))
    return False


def _names_equal(a, b) -> bool:
    try:
        return bool(a == b) or (a is b)
    except (TypeError, ValueError):
        return a is b


class _OneBoolEquality:
    """``==``/``!=`` between wrapped attrs values is one bool (content equality); otherwise pandas' elementwise."""

    __hash__ = None

    def __eq__(self, other):
        if isinstance(other, _WRAPPED):
            return _same(self, other)
        return super().__eq__(other)

    def __ne__(self, other):
        if isinstance(other, _WRAPPED):
            return not _same(self, other)
        return super().__ne__(other)


class AttrTable(_OneBoolEquality, pd.DataFrame):
    """A DataFrame kept in another object's ``attrs``.

    ``==`` with another ``AttrTable``/``AttrSeries``/``AttrArray`` is one bool (content equality), so pandas can
    compare attrs in ``concat``; with anything else it is the usual elementwise comparison. Every operation on it
    (selection, ``.loc``, ``.copy()``, arithmetic, ``set_index`` ...) returns a plain ``pd.DataFrame``; only
    ``copy.copy``/``copy.deepcopy`` (what pandas uses to propagate attrs) keep the type.
    """

    @property
    def _constructor(self):
        return pd.DataFrame

    def __copy__(self):
        return _table(pd.DataFrame.copy(self, deep=False))

    def __deepcopy__(self, memo=None):
        return _table(pd.DataFrame.copy(self, deep=True))


class AttrSeries(_OneBoolEquality, pd.Series):
    """A Series kept in another object's ``attrs``; same contract as :class:`AttrTable` (``==`` between wrapped values
    is one bool, including the name; every operation returns a plain ``pd.Series``/``pd.DataFrame``)."""

    @property
    def _constructor(self):
        return pd.Series

    @property
    def _constructor_expanddim(self):
        return pd.DataFrame

    def __copy__(self):
        return _series(pd.Series.copy(self, deep=False))

    def __deepcopy__(self, memo=None):
        return _series(pd.Series.copy(self, deep=True))


def _base(x):
    """Unwrap AttrArray (also inside lists/tuples) for numpy."""
    if isinstance(x, AttrArray):
        return x._a
    if isinstance(x, (list, tuple)) and any(isinstance(v, AttrArray) for v in x):
        return type(x)(_base(v) for v in x)
    return x


class AttrArray(NDArrayOperatorsMixin):
    """An ndarray kept in another object's ``attrs``.

    Deliberately *not* an ndarray subclass: pandas stores an ndarray subclass as-is (``pd.Series(sub)``), and a
    subclass whose ``==`` returns one bool would then make ``pd.Series(a) == pd.Series(b)`` silently wrong. This
    wrapper instead implements the array protocols, so ``np.asarray(x)``, ``pd.Series(x)`` and every numpy function
    and ufunc see the plain array and return plain ndarrays; arithmetic and comparison operators (``x * 2``,
    ``x >= 1``), indexing (``x[mask]``), ``len``, iteration and the array's attributes and methods (``x.shape``,
    ``x.mean()``, ``x.tolist()``) work and return plain results. ``==`` with another wrapped value is one bool
    (same shape and values, NaN equal to NaN); with anything else it is elementwise. ``isinstance(x, np.ndarray)`` is
    False: use ``np.asarray(x)`` where a real ndarray is required. The wrapped array is shared, not copied.
    """

    __slots__ = ("_a",)
    __hash__ = None

    def __init__(self, values):
        self._a = values._a if isinstance(values, AttrArray) else np.asarray(values)

    # --- array protocols -------------------------------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        a = self._a if dtype is None else self._a.astype(dtype, copy=False)
        return a.copy() if copy else a

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if "out" in kwargs:
            kwargs["out"] = _base(kwargs["out"])
        return getattr(ufunc, method)(*_base(inputs), **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return func(*_base(args), **{k: _base(v) for k, v in kwargs.items()})

    # --- container / scalar behaviour ------------------------------------------------------------------------------
    def __getitem__(self, key):
        return self._a[_base(key)]

    def __setitem__(self, key, value):
        self._a[_base(key)] = _base(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return iter(self._a)

    def __contains__(self, item):
        return item in self._a

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __getattr__(self, name):
        if name.startswith("__") or name == "_a":  # never delegate protocols; _a unset while unpickling
            raise AttributeError(name)
        return getattr(self._a, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(dir(self._a)))

    def __repr__(self):
        return f"AttrArray({self._a!r})"

    # --- equality: one bool between wrapped values -----------------------------------------------------------------
    def __eq__(self, other):
        if isinstance(other, _WRAPPED):
            return _same(self, other)
        return self._a == _base(other)

    def __ne__(self, other):
        if isinstance(other, _WRAPPED):
            return not _same(self, other)
        return self._a != _base(other)

    # --- copying / pickling ----------------------------------------------------------------------------------------
    def __copy__(self):
        return AttrArray(self._a)

    def __deepcopy__(self, memo=None):
        return AttrArray(copy.deepcopy(self._a, memo))

    def __reduce__(self):
        return (AttrArray, (self._a,))


_WRAPPED = (AttrTable, AttrSeries, AttrArray)


def _table(df: pd.DataFrame) -> AttrTable:
    out = AttrTable(df)
    if df.attrs:
        out.attrs = safe_attr(df.attrs)
    return out


def _series(s: pd.Series) -> AttrSeries:
    out = AttrSeries(s)
    if s.attrs:
        out.attrs = safe_attr(s.attrs)
    return out


def safe_attr(value):
    """``value`` made safe to keep in ``attrs`` (see the module docstring); data are shared, not copied.

    DataFrame -> :class:`AttrTable`, Series -> :class:`AttrSeries`, ndarray -> :class:`AttrArray` (their own
    ``attrs`` made safe too); dict -> dict, list -> list, tuple -> tuple (named tuples kept) with safe items;
    already-safe values and anything else are returned unchanged. Use it wherever a value goes into ``attrs``:
    ``out.attrs["vcov"] = safe_attr(table)`` or ``df.attrs = safe_attr(df.attrs)``.
    """
    if isinstance(value, _WRAPPED):
        return value
    if isinstance(value, pd.DataFrame):
        return _table(value)
    if isinstance(value, pd.Series):
        return _series(value)
    if isinstance(value, np.ndarray):
        return AttrArray(value)
    if isinstance(value, dict):
        return {k: safe_attr(v) for k, v in value.items()}
    if isinstance(value, list):
        return [safe_attr(v) for v in value]
    if isinstance(value, tuple):
        items = [safe_attr(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value
