"""What every desk screen shares: typed access to the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.screen import ModalScreen, Screen

if TYPE_CHECKING:
    from supportdesk.tui.app import SupportDeskApp


class DeskScreen(Screen[None]):
    @property
    def desk(self) -> SupportDeskApp:
        return cast("SupportDeskApp", self.app)


ResultT = TypeVar("ResultT")


class DeskModal(ModalScreen[ResultT]):
    @property
    def desk(self) -> SupportDeskApp:
        return cast("SupportDeskApp", self.app)
