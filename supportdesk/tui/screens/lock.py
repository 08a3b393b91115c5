"""The lock screen: the same agent signs in again with password and code."""

from __future__ import annotations

from textual.binding import Binding

from supportdesk.tui.screens.signin import SignInScreen


class LockScreen(SignInScreen):
    BINDINGS = [Binding("ctrl+s", "switch_agent", "Switch agent", id="lock.switch_agent")]

    def __init__(self, username: str) -> None:
        super().__init__(
            message="Locked. Your session was closed; sign in again to go on.",
            locked_user=username,
        )

    def heading(self) -> str:
        return f"Desk locked · {self.locked_user}"

    async def action_switch_agent(self) -> None:
        await self.desk.back_to_sign_in("Signed out: another agent may sign in.")
