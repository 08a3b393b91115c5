"""The audit log: its only entry builders (`entries`), the append and the chain (`chain`).

Nothing else writes to the log: operations and the demo history build an entry here and
`record` it in the same transaction as the change it describes.
"""

from __future__ import annotations

from supportdesk.service.audit.chain import (
    Actor,
    append_audit,
    ensure_audit_head,
    row_to_chain_fields,
)
from supportdesk.service.audit.entries import Entry, record

__all__ = ["Actor", "Entry", "append_audit", "ensure_audit_head", "record", "row_to_chain_fields"]
