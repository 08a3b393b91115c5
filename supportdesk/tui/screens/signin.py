"""Sign-in: username, password and the agent's own authenticator code."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button, Footer, Input, Static

from supportdesk.api.errors import (
    InvalidInput,
    RateLimited,
    ServiceUnavailable,
    StoreUnavailable,
    Unauthorised,
)
from supportdesk.rules.codes import code_problem, normalise_code
from supportdesk.tui.formatting import CODE_KEYS, sentence
from supportdesk.tui.screens.base import DeskScreen
from supportdesk.tui.widgets.desk_header import DeskHeader

DEMO_HINT = (
    "Demo desk: agents demo-agent, demo-agent2, lead demo-lead; password demo. "
    "Code: run `supportdesk demo phone demo-agent`."
)
NOT_ANSWERING = "The auth service is not answering."
CODE_ALREADY_USED = "code_already_used"
"""The service's error code for a code that was right but already spent."""


class SignInScreen(DeskScreen):
    """Also the base of the lock screen, which fixes the username."""

    BINDINGS = [
        Binding("escape", "clear", "Clear", show=False, id="signin.clear"),
        # Priority bindings run in the app's own loop, before later keys are routed,
        # so typing ahead (or a password manager's auto-type) lands in the right field.
        Binding("enter", "advance", "Next", show=False, priority=True, id="signin.next"),
        Binding("tab", "advance(False)", "Next field", show=False, priority=True, id="signin.tab"),
        # ? would be typed into a field here: the keys are on F1 (shown).
        Binding("f1", "app.keys", "Keys", id="signin.keys"),
    ]
    FIELDS = ("username", "password", "code")

    def __init__(self, message: str | None = None, *, locked_user: str | None = None) -> None:
        super().__init__()
        self.message = message
        self.locked_user = locked_user

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        with Vertical(id="signin-card"):
            yield Static(self.heading(), id="signin-title")
            yield Static(self.message or "", id="signin-message")
            yield Input(
                value=self.locked_user or "",
                placeholder="username",
                id="username",
                disabled=self.locked_user is not None,
            )
            yield Input(placeholder="password", password=True, id="password")
            yield Input(placeholder="6-digit code", id="code", max_length=16, restrict=CODE_KEYS)
            yield Button("Sign in", id="signin", variant="primary")
            yield Static(DEMO_HINT, id="demo-hint")
        yield Footer(compact=True, show_command_palette=False)

    def heading(self) -> str:
        return "Sign in to supportdesk"

    def on_mount(self) -> None:
        self.watch(self.desk, "demo_mode", self._show_demo_hint)
        self.watch(self.desk, "connection", self._connection_changed, init=False)
        first = "#password" if self.locked_user else "#username"
        self.query_one(first, Input).focus()

    def _show_demo_hint(self, demo: bool) -> None:
        self.query_one("#demo-hint").display = demo

    def _connection_changed(self, state: str) -> None:
        """Once the service answers again, "not answering" is no longer true: take it back."""
        message = self.query_one("#signin-message", Static)
        if state == "connected" and str(message.render()) == NOT_ANSWERING:
            self.say(self.message or "", error=False)

    def say(self, text: str, *, error: bool = True) -> None:
        message = self.query_one("#signin-message", Static)
        message.update(text)
        message.set_class(error, "-error")

    def action_advance(self, submit: bool = True) -> None:
        """Move to the next empty field; from the last field, sign in."""
        focused = self.focused
        current = focused.id if focused is not None else None
        if current in self.FIELDS[:-1]:
            nxt = self.FIELDS[self.FIELDS.index(current) + 1]
            self.set_focus(self.query_one(f"#{nxt}", Input))
            return
        if not submit:
            self.set_focus(self.query_one("#username" if not self.locked_user else "#password"))
            return
        # Keys typed before Enter may still wait in the field's queue: submit after them.
        (focused or self).call_later(self.submit)

    @on(Button.Pressed, "#signin")
    def submit(self) -> None:
        username = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        typed = self.query_one("#code", Input).value
        if not username or not password:
            self.say("Type your username and password.")
            return
        code = normalise_code(typed)
        if code is None:
            self.say(code_problem(typed) or "Type the 6-digit code from your app.")
            self.query_one("#code", Input).focus()
            return
        self.say("Signing in…", error=False)
        self.query_one("#signin", Button).disabled = True
        self.sign_in(username, password, code)

    @work(exclusive=True, group="signin", exit_on_error=False)
    async def sign_in(self, username: str, password: str, code: str) -> None:
        expected = (Unauthorised, RateLimited, InvalidInput, ServiceUnavailable)
        try:
            session = await self.desk.call(
                lambda b: b.sign_in(username, password, code), expect=expected
            )
        except Unauthorised as exc:
            text = sentence(exc.message)
            if exc.code == CODE_ALREADY_USED and "next" not in text:
                text += " Wait for the next code in your app, then sign in with it."
            self._failed(text)
            return
        except (RateLimited, InvalidInput) as exc:
            self._failed(sentence(exc.message))
            return
        except StoreUnavailable as exc:
            self._failed(sentence(exc.message) + " Nothing was checked; sign in again shortly.")
            self.desk.report(exc)
            return
        except ServiceUnavailable as exc:
            self._failed(NOT_ANSWERING)
            self.desk.show_unreachable(exc.message)
            return
        if session is None:  # refused for another reason, already said
            self._failed("")
            return
        self.desk.signed_in(session)

    def _failed(self, text: str) -> None:
        if text:
            self.say(text)
        self.query_one("#signin", Button).disabled = False
        code = self.query_one("#code", Input)
        code.value = ""
        code.focus()

    def action_clear(self) -> None:
        for field in self.query(Input):
            if not field.disabled:
                field.value = ""
        self.say("")
