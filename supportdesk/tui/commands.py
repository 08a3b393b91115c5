"""Command palette entries for the desk, aware of the current screen.

An entry runs an action, the same one its key runs, so the palette obeys the same
rule as the footer: hidden from an agent when it is for leads, offered with the
reason (and doing nothing but saying it) when the back end cannot serve it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from supportdesk.tui.app import SupportDeskApp


PaletteCommand = tuple[str, Callable[[], object], str]
"""A palette entry: its name, what it does, and a line of help.

What it does is the screen's own action method (`self.action_resend`) or a partial of
one (`partial(self.action_branch, "sms")`), so the palette can ask the screen's
`check_action` about it exactly as the footer does.
"""


def action_of(run: Callable[[], object]) -> tuple[object, str, tuple[object, ...]] | None:
    """The node, action name and parameters behind an action method (or a partial of one)."""
    args: tuple[object, ...] = ()
    if isinstance(run, partial):
        args = tuple(run.args)
        run = run.func
    owner = getattr(run, "__self__", None)
    name = getattr(run, "__name__", "")
    if owner is None or not name.startswith("action_"):
        return None
    return owner, name.removeprefix("action_"), args


class DeskCommands(Provider):
    """The desk's commands, plus those of the screen the palette was opened on.

    A screen offers its own by defining `palette_commands() -> list[PaletteCommand]`.
    """

    def _entries(self) -> list[PaletteCommand]:
        app = cast("SupportDeskApp", self.app)
        screen = self.screen  # the screen the palette was opened on
        commands: list[PaletteCommand] = []
        if app.session is not None:
            commands += [
                ("Lock the desk", app.action_lock, "Lock now; unlock with password and code"),
                ("Sign out", app.action_sign_out, "End this agent's session on the service"),
                (
                    "Approvals inbox",
                    app.action_open_approvals,
                    "Leads decide four-eyes requests; agents follow their own",
                ),
                (
                    "Audit log",
                    app.action_open_audit_log,
                    "Review, filter, export and verify what agents changed",
                ),
            ]
        commands.append(("Show the keys", app.action_keys, "Every key of this screen (? or F1)"))
        screen_commands = getattr(screen, "palette_commands", None)
        if callable(screen_commands):
            commands.extend(screen_commands())
        entries: list[PaletteCommand] = []
        for command in commands:
            entry = self._entry(app, command)
            if entry is not None:
                entries.append(entry)
        return entries

    def _entry(self, app: SupportDeskApp, command: PaletteCommand) -> PaletteCommand | None:
        """What the palette lists for one command, after the footer's own checks."""
        name, run, _help = command
        found = action_of(run)
        if found is None:
            return command
        node, action, params = found
        check = getattr(node, "check_action", None)
        state = check(action, params) if callable(check) else True
        if state is False:
            return None
        if state is None:
            explain = getattr(node, "unavailable_reason", None)
            why = explain(action, params) if callable(explain) else None
            why = why or "Not available here."
            return (name, partial(app.notify, why, title=name), why)
        return command

    async def discover(self) -> Hits:
        for name, action, help_text in self._entries():
            yield DiscoveryHit(name, action, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in self._entries():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), action, help=help_text)
