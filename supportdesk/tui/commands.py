"""Command palette entries for the desk, aware of the current screen."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from supportdesk.tui.app import SupportDeskApp


def _open_approvals(app: SupportDeskApp) -> None:
    """Built only when chosen: listing commands must not build screens."""
    from supportdesk.tui.screens.approvals import ApprovalsScreen

    app.push_screen(ApprovalsScreen())


def _open_audit_log(app: SupportDeskApp) -> None:
    """Built only when chosen, like the other screens opened from here."""
    from supportdesk.tui.screens.audit_log import open_audit_log

    open_audit_log(app)


PaletteCommand = tuple[str, Callable[[], object], str]
"""A palette entry: its name, what it does, and a line of help."""


class DeskCommands(Provider):
    """The desk's commands, plus those of the screen the palette was opened on.

    A screen offers its own by defining `palette_commands() -> list[PaletteCommand]`.
    """

    def _commands(self) -> list[PaletteCommand]:
        app = cast("SupportDeskApp", self.app)
        screen = self.screen  # the screen the palette was opened on
        found: list[PaletteCommand] = []
        if app.session is not None:
            found.append(
                ("Lock the desk", app.action_lock, "Lock now; unlock with password and code")
            )
            found.append(("Sign out", app.action_sign_out, "End this agent's session"))
            found.append(
                (
                    "Approvals inbox",
                    partial(_open_approvals, app),
                    "Leads decide four-eyes requests; agents follow their own",
                )
            )
        if app.session is not None and app.session.agent.role == "lead":
            found.append(
                (
                    "Audit log",
                    partial(_open_audit_log, app),
                    "Review, filter, export and verify what agents changed",
                )
            )
        screen_commands = getattr(screen, "palette_commands", None)
        if callable(screen_commands):
            found.extend(screen_commands())
        return found

    async def discover(self) -> Hits:
        for name, action, help_text in self._commands():
            yield DiscoveryHit(name, action, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), action, help=help_text)
