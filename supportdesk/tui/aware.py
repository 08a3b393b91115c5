"""Typed access to the desk app for its screens and widgets, and one rule for every key.

A key (or the palette entry for the same action) is hidden from an agent when it is
for leads only, and shown dimmed, with the back end's reason on the screen and in the
palette, when the back end lacks the feature behind it: never an error after a press.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import events
from textual.binding import Binding

if TYPE_CHECKING:
    from textual.app import App
    from textual.binding import BindingType
    from textual.screen import Screen

    from supportdesk.tui.app import SupportDeskApp


PAUSE_KEEPS = frozenset({"back", "cancel", "close", "keys", "app.keys", "quit"})
"""Keys that still work while actions are paused for a database outage: leaving and help."""
STORE_PAUSED = "Paused: the desk's database is not answering. The desk carries on by itself."


class DeskAware:
    """Mixed into the desk's screens and widgets, before the Textual class.

    A plain mixin, not a DOMNode: Textual follows the first DOMNode base for the default
    CSS, so the Textual class must be that base.
    """

    if TYPE_CHECKING:
        BINDINGS: ClassVar[list[BindingType]]

        app: App[Any]

        @property
        def screen(self) -> Screen[Any]: ...

    LEAD_ONLY: ClassVar[Mapping[str, str]] = MappingProxyType({})
    """Actions only a team lead has, and what an agent who presses the key is told: their
    footer and palette never show them."""
    ACTION_FEATURES: ClassVar[Mapping[str, str]] = MappingProxyType({})
    """Action name to the back-end feature (supportdesk.api.features) it needs."""

    @property
    def desk(self) -> SupportDeskApp:
        return cast("SupportDeskApp", self.app)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """False hides a lead's key from an agent; None dims a key the back end cannot serve,
        and every key but leaving and help while the service's database does not answer."""
        if action in self.LEAD_ONLY and not self.desk.is_lead:
            return False
        if self.desk.store_down and action not in PAUSE_KEEPS:
            return None
        feature = self.ACTION_FEATURES.get(action)
        if feature is not None and not self.desk.offers(feature):
            return None
        return True

    def on_key(self, event: events.Key) -> None:
        """A lead's key pressed by an agent: not in their footer, but said, not ignored."""
        if cast(object, self) is not self.screen or self.desk.is_lead:
            return
        for binding in type(self).BINDINGS:
            if not isinstance(binding, Binding) or binding.action not in self.LEAD_ONLY:
                continue
            if event.key in (k.strip() for k in binding.key.split(",")):
                self.app.notify(self.LEAD_ONLY[binding.action], severity="warning")
                event.stop()
                return

    def unavailable_reason(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        """Why an action cannot run now, in words for the agent (None when it can)."""
        if self.desk.store_down and action not in PAUSE_KEEPS:
            return STORE_PAUSED
        feature = self.ACTION_FEATURES.get(action)
        if feature is not None:
            return self.desk.missing(feature)
        return None
