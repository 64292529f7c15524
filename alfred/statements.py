"""The UPDATEs of the message path that run for every message (claim, close, settle), built once per shape
instead of compiled by the ORM at every call: compiling a ``filter(...).update(...)`` cost about as much
worker CPU as running it (README "Benchmarks", end to end).

Values go through the model fields' own database preparation, and the statement through Django's cursor,
so execute wrappers (``alfred.audit.database_writes``, the tests' failing databases) see it as before.
"""

from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field

from alfred.models import Message


@cache
def _fields() -> "dict[str, Field[Any, Any]]":
    return {field.name: field for field in Message._meta.concrete_fields}


@cache
def _update_statement(vendor: str, assigned: tuple[str, ...], matched: tuple[str, ...]) -> str:
    db = connections[DEFAULT_DB_ALIAS]

    def column(name: str) -> str:
        return db.ops.quote_name(_fields()[name].column)

    sets = ", ".join(f"{column(name)} = %s" for name in assigned)
    where = " AND ".join(f"{column(name)} = %s" for name in matched)
    # Only the model's own table and column names are interpolated; every value is a parameter.
    return f"UPDATE {db.ops.quote_name(Message._meta.db_table)} SET {sets} WHERE {where}"  # noqa: S608


def message_update(where: dict[str, Any], **values: Any) -> int:
    """``Message.objects.filter(**where).update(**values)`` for plain equality conditions on concrete fields
    (no None: SQL's ``= NULL`` matches nothing); the number of rows changed."""
    db: BaseDatabaseWrapper = connections[DEFAULT_DB_ALIAS]
    fields = _fields()
    params = [fields[name].get_db_prep_save(value, db) for name, value in values.items()]
    params += [fields[name].get_db_prep_value(value, db) for name, value in where.items()]
    statement = _update_statement(db.vendor, tuple(values), tuple(where))
    with transaction.mark_for_rollback_on_error(using=db.alias), db.cursor() as cursor:
        cursor.execute(statement, params)
        return int(cursor.rowcount)
