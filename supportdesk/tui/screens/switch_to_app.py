"""The confirmation before moving a user from SMS to the authenticator app."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Input, Static

from supportdesk.api.errors import Conflict, InvalidInput
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.styles import stylesheet

if TYPE_CHECKING:
    from supportdesk.api.models import Ticket, UserProfile

SWITCH_REASON = "Texts do not arrive: moved to the authenticator app, as the article recommends"


def switch_consequence(name: str, sms_reaches: bool) -> str:
    """What the user meets at the next sign-in, and what becomes of SMS (markup)."""
    text = (
        f"At the next sign-in {escape(name)} is asked to set up an authenticator app: scan a"
        " QR code with Google Authenticator, Microsoft Authenticator, Authy or a TOTP"
        " password manager. It needs no mobile coverage."
    )
    if sms_reaches:
        return text + " SMS stays on the account as a backup."
    return text + " The SMS method stays on file, but no text reaches it: the app is the way in."


class SwitchScreen(DeskModal["UserProfile | None"]):
    """The confirmation: what the user will meet at the next sign-in, and a reason."""

    CSS_PATH = stylesheet("sms")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="switch.cancel")
    ]

    def __init__(self, profile: UserProfile, ticket: Ticket | None, *, sms_reaches: bool) -> None:
        super().__init__()
        self.profile = profile
        self.ticket = ticket
        self.sms_reaches = sms_reaches

    def compose(self) -> ComposeResult:
        name = escape(self.profile.name)
        with Vertical(id="switch-dialog", classes="dialog"):
            yield Static(f"Move {name} to the authenticator app?", classes="dialog-title")
            yield Static(
                switch_consequence(self.profile.name, self.sms_reaches), id="switch-consequence"
            )
            yield Input(value=SWITCH_REASON, id="switch-reason", max_length=500)
            yield Static("", id="switch-message")
            yield Static("[b]Enter[/b] switch to the app · [b]Esc[/b] cancel", id="switch-hint")
            yield Button("Switch to the app", id="switch", variant="warning")

    def on_mount(self) -> None:
        # The reason is longer than the field: show its start, not its end.
        self.query_one("#switch-reason", Input).cursor_position = 0
        self.query_one("#switch", Button).focus()

    @on(Input.Submitted, "#switch-reason")
    @on(Button.Pressed, "#switch")
    def submit(self) -> None:
        reason = self.query_one("#switch-reason", Input).value.strip()
        if not reason:
            self.query_one("#switch-message", Static).update("Write a reason for the audit log.")
            self.query_one("#switch-reason", Input).focus()
            return
        self.query_one("#switch", Button).disabled = True
        self.switch(reason)

    @work(exclusive=True, exit_on_error=False)
    async def switch(self, reason: str) -> None:
        ticket_id = self.ticket.id if self.ticket else None
        try:
            profile = await self.desk.call(
                lambda b: b.switch_to_authenticator(self.profile.id, reason, ticket_id=ticket_id),
                expect=(InvalidInput, Conflict),
            )
        except (InvalidInput, Conflict) as exc:
            self.query_one("#switch-message", Static).update(escape(exc.message))
            self.query_one("#switch", Button).disabled = False
            return
        self.dismiss(profile)

    def action_cancel(self) -> None:
        self.dismiss(None)
