"""The desk's screens and dialogs: what they share comes from `DeskAware`."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen, Screen

from supportdesk.tui.aware import DeskAware


class DeskScreen(DeskAware, Screen[None]):
    """A full screen of the desk."""


ResultT = TypeVar("ResultT")


class DeskModal(DeskAware, ModalScreen[ResultT]):
    """A dialog over a desk screen, dismissed with its result."""
