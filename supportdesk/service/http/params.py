"""Parameter types the routers share, bounded so bad input is a 422 and never a 500.

Integers stop at 2**63 - 1 (a 64-bit id column on both stores); times are ISO 8601
text only (pydantic would read "1700000000" as a Unix time) within years a zone
offset cannot push past what a datetime holds.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, BeforeValidator

MAX_ID = 2**63 - 1
"""The largest id or sequence number a store holds (BigInteger)."""

SEQ_LIST = r"^\d{1,18}(,\d{1,18})*$"
"""Comma-separated sequence numbers; 18 digits always fit in 64 bits."""

_NUMBER = re.compile(r"^\s*[+-]?\d+(\.\d*)?\s*$")


def _text_only(value: Any) -> Any:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("give a time as ISO 8601 text, e.g. 2026-01-31T09:00:00Z")
    return value


def _sane_year(value: datetime) -> datetime:
    if not 1000 <= value.year <= 9998:
        raise ValueError("the year must be between 1000 and 9998")
    return value


Moment = Annotated[datetime, BeforeValidator(_text_only), AfterValidator(_sane_year)]
"""A point in time as ISO 8601 text (an integer is refused)."""

ApprovalId = Annotated[int, Path(ge=1, le=MAX_ID, description="the request's number")]
