"""New objects of a mapped class, built with their columns' values in one step.

`Report(id=…, case_id=…, …)` runs SQLAlchemy's instrumented `__set__` for every keyword: an
attribute event, a history check and a "modified" flag each, about a dozen calls a column.
For an object that is new in this transaction there is no history to keep: the flush inserts
what its dictionary holds, and the object becomes persistent with those values as loaded.
On the report path that bookkeeping for four new rows (case, report, event, measures) was
about a tenth of a report's CPU (issue 15).

Only column attributes go in this way; a relationship is still set through the ORM, so its
back-reference and foreign key follow as they always do.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import instance_dict, manager_of_class

T = TypeVar("T")


def new_row(cls: type[T], **columns: Any) -> T:
    """A transient `cls` holding `columns` (column attributes only), as `cls(**columns)` would,
    without the per-attribute events."""
    unknown = columns.keys() - _column_keys(cls)
    if unknown:
        raise TypeError(f"{cls.__name__} has no column attribute {sorted(unknown)}")
    obj: T = manager_of_class(cls).new_instance()
    instance_dict(obj).update(columns)
    return obj


_COLUMN_KEYS: dict[type[Any], frozenset[str]] = {}


def _column_keys(cls: type[Any]) -> frozenset[str]:
    keys = _COLUMN_KEYS.get(cls)
    if keys is None:
        mapper: Mapper[Any] = inspect(cls)
        keys = _COLUMN_KEYS[cls] = frozenset(prop.key for prop in mapper.column_attrs)
    return keys
