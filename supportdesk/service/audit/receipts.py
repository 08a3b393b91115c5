"""Signed receipts of the chain's head: Ed25519, with a key kept outside the store.

Whoever can write to the store can cut the newest entries and rewrite the head row
to match; they cannot sign. A receipt a lead keeps (beside an export, on the desk)
names the head as it was; a later log that no longer holds that entry is named as
cut. The private key lives in a file (0600) beside a SQLite store or where the
`audit_key_file` setting says; only the public half ever leaves this module.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from supportdesk.rules.audit_chain import receipt_message

KEY_FILE_NAME = "audit-receipt.key"


class ReceiptKeyUnavailable(Exception):
    """No place is configured for the signing key (PostgreSQL without `audit_key_file`)."""


def key_path(db_url: str, configured: str | None) -> Path:
    """Where the signing key lives: the setting, else beside a SQLite store's file."""
    if configured:
        return Path(configured)
    if db_url.startswith("sqlite") and ":///" in db_url:
        store = db_url.split(":///", 1)[1]
        if store and store != ":memory:":
            return Path(store).parent / KEY_FILE_NAME
    raise ReceiptKeyUnavailable(
        "audit receipts need a key file: set SUPPORTDESK_SERVICE_AUDIT_KEY_FILE"
    )


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The signing key, made on first use (readable by the service's user only)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return load_or_create_key(path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        return key
    loaded = serialization.load_pem_private_key(data, password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ReceiptKeyUnavailable(f"{path} does not hold an Ed25519 key")
    return loaded


def public_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def key_id(public: str) -> str:
    """A short fingerprint of a public key, to tell keys apart at a glance."""
    return hashlib.sha256(base64.b64decode(public)).hexdigest()[:16]


@dataclass(frozen=True)
class Signed:
    seq: int
    head_hash: str
    at: str
    public_key: str
    signature: str


def sign_head(key: Ed25519PrivateKey, seq: int, head_hash: str, at: datetime) -> Signed:
    when = at.isoformat()
    signature = key.sign(receipt_message(seq, head_hash, when))
    return Signed(
        seq=seq,
        head_hash=head_hash,
        at=when,
        public_key=public_text(key.public_key()),
        signature=base64.b64encode(signature).decode("ascii"),
    )


def signature_holds(public_key: str, signature: str, seq: int, head_hash: str, at: str) -> bool:
    """Whether `signature` is the key's over this head (any malformed part: no)."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True), receipt_message(seq, head_hash, at))
    except (InvalidSignature, ValueError):
        return False
    return True
