"""The service's notion of now, replaceable so tests can move or freeze time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Real UTC time (or a frozen instant), plus an offset tests may advance."""

    def __init__(self, frozen_at: datetime | None = None) -> None:
        self.offset = timedelta(0)
        self.frozen_at = frozen_at

    def now(self) -> datetime:
        base = self.frozen_at if self.frozen_at is not None else datetime.now(UTC)
        return base + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta
