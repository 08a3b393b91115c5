"""The line under the header while the service answers but its database does not.

Distinct from the "not answering" screen (the service itself cannot be reached): here
the desk stays where it is, its actions are paused (dimmed keys), and the banner goes
by itself once the service's database answers again (the app polls /v1/ready).
"""

from __future__ import annotations

from textual.widgets import Static

STORE_DOWN_TEXT = "The desk's database is not answering; actions are paused, retrying…"


class StoreBanner(Static):
    """Mounted under a screen's header by the header itself, only while the store is down,
    so a desk whose database answers lays out exactly as before."""

    def __init__(self) -> None:
        super().__init__(STORE_DOWN_TEXT, classes="store-banner")
