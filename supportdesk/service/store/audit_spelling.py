"""An audit entry spelled by the database itself: its canonical text, its export records.

Verification holds each row's columns to its stored canonical text, and exports write
the records the database spells; both must come out byte for byte as Python's canonical
encoder and `csv` module write them (tests/store/test_audit_spelling.py holds them to it).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import DDL, Boolean, ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from supportdesk.api.audit import EXPORT_COLUMNS
from supportdesk.rules.audit_chain import HASHED_FIELDS

_AT_SQLITE = (
    "replace(substr(at, 1, 19), ' ', 'T') || CASE WHEN substr(at, 21) IN ('', '000000') "
    "THEN '' ELSE '.' || substr(at, 21) END || '+00:00'"
)
"""`at` as the hashed ISO text, from the text SQLite keeps ('YYYY-MM-DD HH:MM:SS.ffffff')."""

_UTC = "(at AT TIME ZONE 'UTC')"
_AT_POSTGRESQL = (
    f"to_char({_UTC}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN to_char({_UTC}, 'US') = "
    f"'000000' THEN '' ELSE '.' || to_char({_UTC}, 'US') END || '+00:00'"
)


def at_text(dialect: str) -> str:
    return _AT_POSTGRESQL if dialect == "postgresql" else _AT_SQLITE


def _spelled_sqlite(with_hash: bool) -> str:
    """The canonical text the row's columns spell, built by SQLite (json_object writes
    the compact form, escaping exactly as the canonical encoder does)."""
    parts = [f"'{name}', {_AT_SQLITE if name == 'at' else name}" for name in sorted(HASHED_FIELDS)]
    if with_hash:
        parts.append("'hash', hash")
    return f"json_object({', '.join(parts)})"


def _spelled_postgresql(with_hash: bool) -> str:
    """The same text built by PostgreSQL (to_json escapes strings as the encoder does)."""
    names = [*sorted(HASHED_FIELDS), *(["hash"] if with_hash else [])]
    parts = []
    for i, name in enumerate(names):
        if name == "at":
            value = f"'\"' || {_AT_POSTGRESQL} || '\"'"
        elif name == "seq":
            value = "seq::text"
        else:
            value = f"coalesce(to_json({name})::text, 'null')"
        parts.append(f"'{'{' if i == 0 else ','}\"{name}\":' || {value}")
    return " || ".join(parts) + " || '}'"


def spelled(dialect: str, with_hash: bool = False) -> str:
    """SQL for the entry's canonical text (with its hash added last, as JSON Lines has it)."""
    if dialect == "postgresql":
        return _spelled_postgresql(with_hash)
    return _spelled_sqlite(with_hash)


def _csv_field(dialect: str, name: str) -> str:
    """One CSV field as the csv module writes it (QUOTE_MINIMAL): quoted, with quotes
    doubled, when it holds a comma, a quote or a line break; NULL as nothing."""
    if name == "seq":
        return "CAST(seq AS TEXT)"
    if name == "at":
        return f"({at_text(dialect)})"
    cr, lf = ("chr(13)", "chr(10)") if dialect == "postgresql" else ("char(13)", "char(10)")
    found = " OR ".join(
        f"strpos({name}, {c}) > 0" if dialect == "postgresql" else f"instr({name}, {c}) > 0"
        for c in ("','", "'\"'", cr, lf)
    )
    return (
        f"CASE WHEN {name} IS NULL THEN '' WHEN {found} "
        f"THEN '\"' || replace({name}, '\"', '\"\"') || '\"' ELSE {name} END"
    )


def csv_record(dialect: str, stored: bool = False) -> str:
    """SQL for a whole CSV record (without its line end).

    Where `csv_plain` can be trusted (`stored`), a row it marks writes its plain fields
    as they are, and only the free text (reason, verification, detail) is tested for
    quoting: a third of the tests, which were half of the statement's cost on SQLite.
    """
    careful = " || ',' || ".join(_csv_field(dialect, name) for name in EXPORT_COLUMNS)
    if not stored:
        return careful
    quick = " || ',' || ".join(
        f"coalesce({name}, '')" if name in CSV_PLAIN_FIELDS else _csv_field(dialect, name)
        for name in EXPORT_COLUMNS
    )
    return f"CASE WHEN csv_plain THEN {quick} ELSE {careful} END"


CSV_PLAIN_FIELDS = (
    "actor",
    "actor_role",
    "action",
    "target_user",
    "ticket_id",
    "outcome",
    "request_id",
    "prev_hash",
    "hash",
)
"""The fields the service writes as names, codes, ids and hex: none of them ever needs
CSV quoting in a row it wrote. `audit_log.csv_plain` says, row by row, that none of them
does in this row (an edit that gives one a comma makes it false)."""


def _csv_plain_test(dialect: str) -> str:
    """True when none of `CSV_PLAIN_FIELDS` holds a comma, a quote or a line break."""
    joined = " || ".join(f"coalesce({name}, '')" for name in CSV_PLAIN_FIELDS)
    if dialect == "postgresql":
        return " AND ".join(
            f"strpos({joined}, {c}) = 0" for c in ("','", "'\"'", "chr(13)", "chr(10)")
        )
    return (
        "NOT ("
        + " OR ".join(f"instr({joined}, {c}) > 0" for c in ("','", "'\"'", "char(13)", "char(10)"))
        + ")"
    )


# -- the stored check: do the row's columns spell its body? ------------------------------------

MATCH_FUNCTION = "audit_columns_match"
_MATCH_ARGS = (*HASHED_FIELDS, "body")
_MATCH_TYPES = {"seq": "bigint", "at": "timestamptz"}
MATCH_SOURCE = f" SELECT body = {spelled('postgresql')} "
"""The function's body, as PostgreSQL keeps it (verify checks it is still this)."""

MATCH_CALL = f"{MATCH_FUNCTION}({', '.join(_MATCH_ARGS)})"
"""The generated column's expression on PostgreSQL (verify checks it is still this)."""

MATCH_FUNCTION_DDL = DDL(  # type: ignore[no-untyped-call]
    f"CREATE OR REPLACE FUNCTION {MATCH_FUNCTION}("
    + ", ".join(f"{name} {_MATCH_TYPES.get(name, 'text')}" for name in _MATCH_ARGS)
    # Immutable in truth: the time is spelled in UTC with fixed patterns, whatever the
    # session's settings.
    + f") RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $match${MATCH_SOURCE}$match$"
)
MATCH_FUNCTION_DROP = DDL(  # type: ignore[no-untyped-call]
    f"DROP FUNCTION IF EXISTS {MATCH_FUNCTION}("
    + ", ".join(_MATCH_TYPES.get(name, "text") for name in _MATCH_ARGS)
    + ")"
)

MATCH_SQLITE = f"body = {spelled('sqlite')}"
"""The generated column's expression on SQLite."""

# -- the stored CSV test: may the plain fields be written as they are? ------------------------

PLAIN_FUNCTION = "audit_csv_plain"
PLAIN_SOURCE = f" SELECT {_csv_plain_test('postgresql')} "
"""Its function's body on PostgreSQL (the export checks it is still this)."""
PLAIN_CALL = f"{PLAIN_FUNCTION}({', '.join(CSV_PLAIN_FIELDS)})"
"""`audit_log.csv_plain` on PostgreSQL."""
PLAIN_SQLITE = _csv_plain_test("sqlite")
"""`audit_log.csv_plain` on SQLite."""

PLAIN_FUNCTION_DDL = DDL(  # type: ignore[no-untyped-call]
    f"CREATE OR REPLACE FUNCTION {PLAIN_FUNCTION}("
    + ", ".join(f"{name} text" for name in CSV_PLAIN_FIELDS)
    + f") RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $plain${PLAIN_SOURCE}$plain$"
)
PLAIN_FUNCTION_DROP = DDL(  # type: ignore[no-untyped-call]
    f"DROP FUNCTION IF EXISTS {PLAIN_FUNCTION}({', '.join('text' for _ in CSV_PLAIN_FIELDS)})"
)


class ColumnsMatchBody(ColumnElement[bool]):
    """The expression of `audit_log.columns_match`, spelled for each store."""

    inherit_cache = True
    type = Boolean()


@compiles(ColumnsMatchBody, "postgresql")
def _match_postgresql(element: ColumnsMatchBody, compiler: SQLCompiler, **kw: Any) -> str:
    return MATCH_CALL


@compiles(ColumnsMatchBody)
def _match_sqlite(element: ColumnsMatchBody, compiler: SQLCompiler, **kw: Any) -> str:
    return MATCH_SQLITE


class CsvPlainFields(ColumnElement[bool]):
    """The expression of `audit_log.csv_plain`, spelled for each store."""

    inherit_cache = True
    type = Boolean()


@compiles(CsvPlainFields, "postgresql")
def _plain_postgresql(element: CsvPlainFields, compiler: SQLCompiler, **kw: Any) -> str:
    return PLAIN_CALL


@compiles(CsvPlainFields)
def _plain_sqlite(element: CsvPlainFields, compiler: SQLCompiler, **kw: Any) -> str:
    return PLAIN_SQLITE


def same_expression(found: str | None, expected: str) -> bool:
    """A catalog's spelling of an expression against ours: casts to text (PostgreSQL
    adds them to varchar arguments), brackets and spaces aside."""
    if found is None:
        return False

    def plain(text: str) -> str:
        text = re.sub(r"\((\w+)\)::text", r"\1", text)
        return re.sub(r"[\s()]", "", text)

    return plain(found) == plain(expected)
