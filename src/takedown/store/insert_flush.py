"""A flush that only adds new rows goes out as Core inserts: on PostgreSQL in one statement
(a table whose keys come back ends one), elsewhere one a table.

Most requests write only new rows: a report opens a case with its report, first event and
measures row; a registration adds an item and its signals. The ORM's unit of work spent more
CPU sorting, tracking and post-processing those few rows than the statements took
(issue 15: 57% of a report's CPU was the commit's flush). When every pending object in a flush
is new and of a plain mapped class (`_plan`), and nothing loaded is changed or deleted, the
session writes them itself:

- foreign keys are copied from the related objects as the unit of work would
  (many-to-one and one-to-many relationships alike), parents' tables first;
- client-side column defaults are applied and kept on the objects;
- an autoincrement key comes back by `RETURNING`, each to its own row's object;
- on PostgreSQL the tables go out together as data-modifying CTEs of one statement
  (`_together_insert`), so a new report is one round trip of writes, not four;
- the objects then become persistent as the unit of work leaves them, by the same call it
  makes at the end of its flush (`Session._register_persistent`; tests/integration/
  test_insert_flush.py holds it to the unit of work's results, rollback included).

Anything else (an update, a delete, a server default, a key to generate another way, an
association table, mapper events) goes through the unit of work as before, so this only ever
takes the shortest path of what the ORM would have done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Column, Connection, Insert, Select, Table, bindparam, insert, select
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.interfaces import MANYTOONE, ONETOMANY
from sqlalchemy.sql.dml import ReturningInsert


@dataclass(frozen=True)
class _Link:
    """One relationship's columns: copy `source` of the object at `key` into `target` here
    (many-to-one), or `source` here into `target` of each object at `key` (one-to-many)."""

    key: str
    pairs: tuple[tuple[str, str], ...]  # (source attribute, target attribute)
    to_one: bool


@dataclass(frozen=True)
class _Field:
    attribute: str
    column: Column[Any]


@dataclass(frozen=True)
class _Plan:
    table: Table
    order: int  # the table's place in the metadata's dependency order: parents first
    fields: tuple[_Field, ...]
    generated: _Field | None  # an autoincrement key the database assigns (RETURNING)
    links: tuple[_Link, ...]
    # Columns a NULL may be left out of an insert for: nullable, with no default to apply.
    nullable: frozenset[str]


@cache
def _plan(mapper: Mapper[Any]) -> _Plan | None:
    """How to insert objects of `mapper`'s class without the unit of work, or None where
    something about the class needs it."""
    table = mapper.local_table
    if mapper.inherits is not None or mapper.polymorphic_on is not None:
        return None
    if mapper.version_id_col is not None or not isinstance(table, Table):
        return None
    dispatch = mapper.dispatch
    if dispatch.before_insert or dispatch.after_insert:
        return None
    fields: list[_Field] = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if len(prop.columns) != 1 or not isinstance(column, Column) or column.table is not table:
            return None
        if column.server_default is not None:
            return None  # its value would have to be read back
        default = column.default
        if default is not None and not (default.is_scalar or default.is_callable):
            return None  # a sequence or SQL expression: the unit of work's case
        fields.append(_Field(prop.key, column))
    if not any(f.column.primary_key for f in fields):
        return None
    generated = next((f for f in fields if f.column is table.autoincrement_column), None)
    attribute_of: dict[Any, str] = {f.column: f.attribute for f in fields}
    links: list[_Link] = []
    for rel in mapper.relationships:
        if rel.viewonly:
            continue
        if rel.secondary is not None or rel.post_update:
            return None
        if rel.direction is MANYTOONE:
            pairs = tuple(
                (rel.mapper.get_property_by_column(remote).key, attribute_of[local])
                for local, remote in rel.local_remote_pairs
            )
        elif rel.direction is ONETOMANY:
            pairs = tuple(
                (attribute_of[local], rel.mapper.get_property_by_column(remote).key)
                for local, remote in rel.local_remote_pairs
            )
        else:
            return None
        links.append(_Link(rel.key, pairs, to_one=rel.direction is MANYTOONE))
    order = table.metadata.sorted_tables.index(table)
    nullable = frozenset(
        f.column.key
        for f in fields
        if f.column.nullable and f.column.default is None and not f.column.primary_key
    )
    return _Plan(table, order, tuple(fields), generated, tuple(links), nullable)


def flush_inserts(session: Session) -> bool:
    """Write the session's pending objects as Core inserts if that is all the flush holds;
    False, with nothing done, when the unit of work must do it."""
    if not session.new or session.deleted or session.dirty or session.in_nested_transaction():
        return False
    hooks = session.dispatch
    if hooks.before_flush or hooks.after_flush or hooks.after_flush_postexec:
        return False  # listeners expect the unit of work
    by_table: dict[int, tuple[_Plan, list[Any]]] = {}
    for obj in session.new:
        plan = _plan(instance_state(obj).mapper)
        if plan is None:
            return False
        if plan.generated is not None and plan.generated.attribute in instance_state(obj).dict:
            return False  # a key given for an autoincrement column: the unit of work's case
        by_table.setdefault(plan.order, (plan, []))[1].append(obj)
    # A statement that fails leaves its objects pending and the transaction for the caller
    # to roll back, as a failed flush of the unit of work does.
    connection = session.connection()
    dialect = connection.dialect
    returning = dialect.insert_executemany_returning_sort_by_parameter_order
    if not returning and any(plan.generated is not None for plan, _ in by_table.values()):
        return False  # a database without RETURNING (SQLite before 3.35): the unit of work's
    together = dialect.name == "postgresql"
    written: list[Any] = []
    batch: list[tuple[_Plan, list[Any]]] = []
    for order in sorted(by_table):
        plan, objects = by_table[order]
        if not together:
            _insert(connection, plan, objects)
        else:
            batch.append((plan, objects))
            if plan.generated is not None:
                # Its keys come back with the statement: tables after it, which may need
                # them for their foreign keys, go in the next one.
                _insert_together(connection, batch)
                batch = []
        written.extend(objects)
    _insert_together(connection, batch)
    # What the unit of work does last: each object's identity key, the identity map, its
    # attributes as loaded, and the transaction's note of it, so a rollback makes it new again.
    session._register_persistent({instance_state(obj) for obj in written})
    return True


def _insert(connection: Connection, plan: _Plan, objects: list[Any]) -> None:
    """One table's rows in one statement (an executemany where the driver batches them)."""
    rows = [_row(plan, obj) for obj in objects]
    if plan.generated is None:
        connection.execute(_plain_insert(plan.table), rows)
        for obj in objects:
            _push_to_children(plan, obj)
    else:
        ids = connection.execute(_returning_insert(plan.table), rows).scalars().all()
        _took_keys(plan, objects, ids)


def _took_keys(plan: _Plan, objects: list[Any], ids: Sequence[Any]) -> None:
    """The keys the database gave `objects` (in their order), on them and their children."""
    assert plan.generated is not None
    for obj, new_id in zip(objects, ids, strict=True):
        setattr(obj, plan.generated.attribute, new_id)
        _push_to_children(plan, obj)


def _insert_together(connection: Connection, batch: list[tuple[_Plan, list[Any]]]) -> None:
    """Several tables' rows in one statement on PostgreSQL (`_together_insert`); only the last
    table may have keys to read back.

    A column left NULL with no default is left out of its row's insert, which is the same
    row: the statement stays within what psycopg caches the parsing of (50 parameters,
    4096 characters), where a new case's every column was 61 parameters, parsed afresh each
    time at 5% of a report's CPU."""
    if len(batch) < 2:
        for plan, objects in batch:
            _insert(connection, plan, objects)
        return
    last, last_objects = batch[-1]
    keys_back = last.generated is not None
    params: dict[str, Any] = {}
    shape: list[_RowShape] = []
    for plan, objects in batch:
        returns = keys_back and plan is last
        for obj in objects:
            row = _row(plan, obj)
            columns = tuple(k for k, v in row.items() if v is not None or k not in plan.nullable)
            for key in columns:
                params[f"p{len(params)}"] = row[key]
            shape.append((plan.table, columns, returns))
        if plan.generated is None:  # the later tables' rows take their keys from these
            for obj in objects:
                _push_to_children(plan, obj)
    result = connection.execute(_together_insert(tuple(shape)), params)
    if keys_back:
        _took_keys(last, last_objects, result.one())


@cache
def _plain_insert(table: Table) -> Insert:
    return insert(table)


@cache
def _returning_insert(table: Table) -> ReturningInsert[Any]:
    assert table.autoincrement_column is not None
    return insert(table).returning(table.autoincrement_column, sort_by_parameter_order=True)


# One row of a combined statement: its table, the columns it sets, whether it returns its key.
_RowShape = tuple[Table, tuple[str, ...], bool]


@lru_cache(maxsize=256)
def _together_insert(shape: tuple[_RowShape, ...]) -> Insert | Select[Any]:
    """The statement for `shape`: each row's table, the columns it sets (bound as p0, p1, …
    in order, as `_insert_together` numbers them) and whether it returns its key; built once
    a shape.

    Each row is a single-row insert (SQLAlchemy caches the compiled form of those, not of a
    multi-row one), and every insert but the main statement's is a data-modifying CTE; the
    foreign keys are checked at the end of the statement, by when every row is in. Rows that
    return their key are the last table's; the main statement is then one row of those keys,
    in the rows' order."""
    inserts: list[Insert] = []
    returned: list[Any] = []
    n = 0
    for table, columns, returns in shape:
        values = {}
        for key in columns:
            values[key] = bindparam(f"p{n}", type_=table.c[key].type)
            n += 1
        statement = insert(table).values(values)
        if returns:
            key_column = table.autoincrement_column
            assert key_column is not None
            cte = statement.returning(key_column).cte(f"k{len(returned)}")
            # Scalar subqueries rather than a cross join of one-row CTEs, which reads as a
            # mistake.
            returned.append(select(cte.c[key_column.name]).scalar_subquery())
        else:
            inserts.append(statement)
    if returned:
        return select(*returned).add_cte(*(s.cte(f"w{i}") for i, s in enumerate(inserts)))
    *first, main = inserts
    return main.add_cte(*(s.cte(f"w{i}") for i, s in enumerate(first)))


def _row(plan: _Plan, obj: Any) -> dict[str, Any]:
    """The object's row, with its many-to-one keys copied in and its defaults applied (on
    the object too, so that nothing is left to read back)."""
    # Written to the object's dictionary, not through its attributes: the object is new, so
    # there is no history to keep, and the instrumented set was most of this function's cost.
    values = instance_state(obj).dict
    for link in plan.links:
        parent = values.get(link.key) if link.to_one else None
        if parent is not None:
            for source, target in link.pairs:
                values[target] = getattr(parent, source)
    row: dict[str, Any] = {}
    for field in plan.fields:
        column = field.column
        if field is plan.generated:
            continue
        if field.attribute in values:
            row[column.key] = values[field.attribute]
            continue
        default = column.default
        value: Any = None
        if default is not None:
            value = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
        values[field.attribute] = value
        row[column.key] = value
    return row


def _push_to_children(plan: _Plan, obj: Any) -> None:
    """One-to-many: the children's keys from this (now written) parent."""
    values = instance_state(obj).dict
    for link in plan.links:
        if link.to_one:
            continue
        for child in values.get(link.key) or ():
            for source, target in link.pairs:
                setattr(child, target, values[source])


class InsertFlushSession(Session):
    """A session whose insert-only flushes skip the unit of work (`flush_inserts`)."""

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        if objects is None and not self._flushing and flush_inserts(self):
            return
        super().flush(objects)
