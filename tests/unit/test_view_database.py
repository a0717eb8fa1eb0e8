"""The view database's helpers that read its stores' schemas and errors."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from adapters.case_ordered_store import POSITIONS_SCHEMA
from adapters.view_database import ViewDatabase, column_positions, is_taken_key
from consumers.billing.ledger import SCHEMA as BILLING_SCHEMA
from consumers.reporting.store import SCHEMA as REPORTING_SCHEMA
from projections.caseload import SCHEMA as CASELOAD_SCHEMA

SCHEMAS = [BILLING_SCHEMA, REPORTING_SCHEMA, CASELOAD_SCHEMA, POSITIONS_SCHEMA]
TABLES = [
    (schema, table)
    for schema in SCHEMAS
    for table in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", schema)
]


@pytest.mark.parametrize("schema, table", TABLES, ids=[table for _, table in TABLES])
def test_column_positions_are_those_of_the_table_the_schema_creates(
    schema: str, table: str, tmp_path: Path
) -> None:
    db = ViewDatabase.sqlite(tmp_path / "views.sqlite")
    db.create(schema)

    created = {str(row[1]): int(row[0]) for row in db.execute(f"PRAGMA table_info({table})")}

    assert column_positions(schema, table) == created
    db.close()


def test_column_positions_of_a_table_the_schema_lacks_are_refused() -> None:
    with pytest.raises(ValueError, match="no CREATE TABLE billing_nothing"):
        column_positions(BILLING_SCHEMA, "billing_nothing")


def test_only_a_taken_key_counts_as_taken() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
    connection.execute("INSERT INTO t VALUES ('a', 'x')")
    errors = []
    for row in (("a", "y"), ("b", None)):
        with pytest.raises(sqlite3.IntegrityError) as raised:
            connection.execute("INSERT INTO t VALUES (?, ?)", row)
        errors.append(raised.value)

    assert [is_taken_key(error) for error in errors] == [True, False]
