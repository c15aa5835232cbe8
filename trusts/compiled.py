"""Read queries compiled to SQL once per shape.

A busy page (the national action report) runs the same few grouped queries on every request, and
the ORM built and compiled each of them again every time, although from one request to the next
only their values change (an action's id, its strike dates): for the report page at 1M returns that
was more Python than the database's own work (BENCHMARKS.md, "The report page at 1M"). `sql_for`
compiles a queryset once per shape and afterwards only puts the new values into the parameters.

How it learns a shape, without trusting the ORM's internals: the queryset is built once with
stand-in values (each distinct, of the same type, such as no caller would pass) and compiled; each
parameter that is a stand-in is a slot for that value, every other parameter is a constant. Then
it is built and compiled with the real values, and the shape is kept only if that gives the same
SQL text and exactly the parameters the slots give. Anything else (a value the ORM writes into the
text, or transforms, or a type it cannot stand in for) is never cached: such a query is compiled
every time, as before. A shape is keyed by the caller's name for it and the types of its values
(so their number too); the caller's `build` must give SQL whose text depends on nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

Value = int | str | dt.date

# Shapes are few (a name and the number of strike days); the bound only guards against a caller
# that puts a value into its shape name by mistake.
MAX_SHAPES = 256


@dataclass(frozen=True)
class Shape:
    sql: str
    # Per parameter: the index of the value it takes, or -1 for a constant (in `constants`).
    slots: tuple[int, ...]
    constants: tuple[Any, ...]

    def params(self, values: tuple[Value, ...]) -> list[Any]:
        return [values[slot] if slot >= 0 else constant for slot, constant in zip(self.slots, self.constants,
                                                                                    strict=True)]


_shapes: dict[Hashable, Shape | None] = {}
_UNLEARNED: Any = object()


def _stand_in(index: int, value: Value) -> Value:
    """A value of the same type that no caller passes: ids are positive, strike days are recent."""
    if isinstance(value, (bool, dt.datetime)):
        raise TypeError("booleans and times are not stood in for")
    if isinstance(value, int):
        return -1_000_000_007 - index
    if isinstance(value, dt.date):
        return dt.date(1001 + index, 1, 1)
    if isinstance(value, str):
        return f"\x1fstand-in {index}"
    raise TypeError(f"{type(value).__name__} values are not stood in for")


def _learn(build: Callable[..., QuerySet[Any]], values: tuple[Value, ...]) -> Shape | None:
    try:
        stand_ins = tuple(_stand_in(index, value) for index, value in enumerate(values))
    except TypeError:
        return None
    sql, params = build(*stand_ins).query.sql_with_params()
    slots, constants = [], []
    for param in params:
        index = next((i for i, stand_in in enumerate(stand_ins)
                      if type(param) is type(stand_in) and param == stand_in), -1)
        slots.append(index)
        constants.append(None if index >= 0 else param)
    shape = Shape(sql, tuple(slots), tuple(constants))
    real_sql, real_params = build(*values).query.sql_with_params()
    if real_sql != sql or list(real_params) != shape.params(values):
        return None
    return shape


def sql_for(name: str, build: Callable[..., QuerySet[Any]], *values: Value) -> tuple[str, list[Any]]:
    """build(*values).query.sql_with_params(), with build run and compiled only the first time for
    this `name` and these values' types (see the module's docstring)."""
    key = (name, tuple(type(value) for value in values))
    # One read of the dict (threads of a web process share it; another may clear it meanwhile).
    shape = _shapes.get(key, _UNLEARNED)
    if shape is _UNLEARNED:
        if len(_shapes) >= MAX_SHAPES:
            _shapes.clear()
        shape = _shapes[key] = _learn(build, values)
    if shape is None:
        sql, params = build(*values).query.sql_with_params()
        return sql, list(params)
    return shape.sql, shape.params(values)


def rows_for(name: str, build: Callable[..., QuerySet[Any]], *values: Value,
             using: str = "default") -> tuple[dict[str, int], list[tuple[Any, ...]]]:
    """fetch() of sql_for(): the rows of build(*values), compiled once per shape. A query the ORM
    knows to match nothing (`pk__in` of no ids) has no rows, as the ORM would answer, rather than
    its EmptyResultSet."""
    try:
        sql, params = sql_for(name, build, *values)
    except EmptyResultSet:
        return {}, []
    return fetch(sql, params, using)


def fetch(sql: str, params: Sequence[Any], using: str = "default") -> tuple[dict[str, int], list[tuple[Any, ...]]]:
    """The rows of a query as the database driver returns them, with each column's position by name:
    without the ORM's per-value converters and per-row dicts, which for a few hundred rows of sums
    cost more than the query itself (BENCHMARKS.md). Only for columns psycopg returns as the Python
    values the ORM would: integers (ids, sums, counts), text, booleans and dates."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return {column[0]: index for index, column in enumerate(cursor.description or ())}, cursor.fetchall()
