"""The audit log's tables: the chain, its head, and the hourly summary the chart reads.

Part of `schema` (which imports this module at its end), kept apart so both stay short.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    Index,
    Integer,
    String,
    Table,
    Text,
    event,
    text,
)

from supportdesk.service.store.audit_spelling import (
    MATCH_FUNCTION_DDL,
    MATCH_FUNCTION_DROP,
    PLAIN_FUNCTION_DDL,
    PLAIN_FUNCTION_DROP,
    ColumnsMatchBody,
    CsvPlainFields,
)
from supportdesk.service.store.schema import UTCDateTime, metadata

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1: the row writers queue on
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    # INTEGER on SQLite makes seq the rowid: the table is stored in seq order.
    Column(
        "seq",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("action", String(48), nullable=False),
    Column("target_user", String(16), nullable=True),
    Column("ticket_id", String(16), nullable=True),
    Column("reason", Text, nullable=True),
    Column("verification", Text, nullable=True),  # canonical JSON
    Column("outcome", String(24), nullable=False),
    Column("detail", Text, nullable=True),  # canonical JSON
    Column("request_id", String(64), nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # The entry's canonical text, exactly as hashed: the one source of truth. The columns
    # above are its filterable copy; verification holds them to it in SQL (issue 13).
    Column("body", Text, nullable=False),
    # Whether the columns above still spell `body`, decided by the database whenever the
    # row is written: a generated column, which nothing can set, only recompute. Verify
    # reads it instead of spelling every row again (issue 13; see store/audit_verify.py).
    Column("columns_match", Boolean, Computed(ColumnsMatchBody(), persisted=True)),
    # Whether the names, codes and hex of the row need no CSV quoting, decided the same
    # way: a CSV export writes them as they are where it says so (store/audit_spelling.py).
    Column("csv_plain", Boolean, Computed(CsvPlainFields(), persisted=True)),
)
# PostgreSQL computes them in functions of their own (its generated columns take only
# immutable expressions, and to_char is not declared so; the catalog then keeps each
# function's text as written, which is what verify and export check).
for _made, _dropped in (
    (MATCH_FUNCTION_DDL, MATCH_FUNCTION_DROP),
    (PLAIN_FUNCTION_DDL, PLAIN_FUNCTION_DROP),
):
    event.listen(audit_log, "before_create", _made.execute_if(dialect="postgresql"))
    event.listen(audit_log, "after_drop", _dropped.execute_if(dialect="postgresql"))
Index("ix_audit_at", audit_log.c.at)
Index("ix_audit_actor", audit_log.c.actor, audit_log.c.seq)
Index("ix_audit_target", audit_log.c.target_user, audit_log.c.seq)
Index("ix_audit_action", audit_log.c.action, audit_log.c.seq)
Index("ix_audit_ticket", audit_log.c.ticket_id, audit_log.c.seq)
_RESET_DONE = "action LIKE '%reset%' AND outcome = 'success'"
ix_audit_resets = Index(
    "ix_audit_resets",
    audit_log.c.at,
    audit_log.c.seq,
    audit_log.c.actor,
    audit_log.c.target_user,
    sqlite_where=text(_RESET_DONE),
    postgresql_where=text(_RESET_DONE),
)
"""Resets done, by time, with what the review queue reads of them: the queue's SQL reads
this partial index alone (issue 13), a tenth of the log's rows. Its predicate is the one
`store.audit_review` repeats as a constant."""

audit_hourly = Table(
    "audit_hourly",
    metadata,
    Column("hour", UTCDateTime, primary_key=True),  # the UTC hour the entries fall in
    Column("actor", String(64), primary_key=True),
    Column("total", BigInteger, nullable=False),
    Column("resets", BigInteger, nullable=False),  # resets done ("reset" in the action, success)
)
"""Entries per actor per UTC hour, kept with each append: the lead's chart sums a few
hundred of these instead of counting the log (issue 13). Informative only: the chain,
not this, is what verification trusts."""
