"""Receipts of the audit chain's head: signed now, checked later against today's log.

The head row lives in the store, so whoever can edit the store can cut the newest
entries and rewrite the head to match. A receipt signed with a key outside the store,
kept by the lead, names the head as it was; `check_receipt` says whether today's log
still holds it and, if not, how it was cut (truncated, emptied, head row gone,
rewritten) or that the receipt is not this service's.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from supportdesk.api.audit import AuditReceipt, ReceiptCheck
from supportdesk.rules.audit_chain import GENESIS_HASH, ReceiptFinding, judge_receipt
from supportdesk.service.audit.receipts import (
    ReceiptKeyUnavailable,
    key_id,
    key_path,
    load_or_create_key,
    public_text,
    sign_head,
    signature_holds,
)
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Conflict
from supportdesk.service.store import audit_verify
from supportdesk.service.store.engine import reading


def _key(ctx: ServiceContext) -> Ed25519PrivateKey:
    try:
        return load_or_create_key(key_path(ctx.settings.db_url, ctx.settings.audit_key_file))
    except ReceiptKeyUnavailable as exc:
        raise Conflict(str(exc)) from exc


async def issue_receipt(ctx: ServiceContext) -> AuditReceipt:
    """A receipt of the head as the store records it now."""
    key = _key(ctx)
    async with reading(ctx.engine) as conn:
        head = await audit_verify.head_row(conn)
    if head is None:
        raise Conflict("the audit log has no head row: verify the log before taking a receipt")
    signed = sign_head(key, head[0], head[1], ctx.clock.now())
    return AuditReceipt(
        seq=signed.seq,
        head_hash=signed.head_hash,
        at=signed.at,
        key_id=key_id(signed.public_key),
        public_key=signed.public_key,
        signature=signed.signature,
    )


async def check_receipt(ctx: ServiceContext, receipt: AuditReceipt) -> ReceiptCheck:
    """Whether today's log still holds the receipt's head (signed by this service's key)."""
    ours = public_text(_key(ctx).public_key())
    if receipt.public_key != ours or not signature_holds(
        receipt.public_key, receipt.signature, receipt.seq, receipt.head_hash, receipt.at
    ):
        finding = ReceiptFinding(
            "forged", "the receipt is not signed by this service's key: it proves nothing"
        )
    elif receipt.seq == 0 and receipt.head_hash != GENESIS_HASH:
        finding = ReceiptFinding("forged", "the receipt names no entry")
    else:
        async with reading(ctx.engine) as conn:
            head = await audit_verify.head_row(conn)
            newest = await audit_verify.newest_seq(conn)
            stored = await audit_verify.hash_of(conn, receipt.seq) if receipt.seq > 0 else None
        finding = judge_receipt(
            receipt.seq, receipt.head_hash, head=head, newest_seq=newest, hash_at_seq=stored
        )
    return ReceiptCheck(
        verdict=finding.verdict,
        holds=finding.holds,
        explanation=finding.explanation,
        summary=f"receipt of entry {receipt.seq} ({receipt.at}): "
        + ("holds" if finding.holds else finding.verdict)
        + f": {finding.explanation}",
    )
