"""The strongest identity check: a code from something the user still holds, read back.

The agent picks where the code comes from (the user's authenticator app shows
one; SMS and e-mail are sent by the service), the user reads it out, and the
service checks it. A right answer returns a verification id the actions
quote; the desk never decides on its own that a challenge passed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from supportdesk.api.errors import ApiError, Conflict, InvalidInput, NotFound, RateLimited
from supportdesk.api.recovery import ChallengeAnswered
from supportdesk.tui.screens.base import DeskModal
from supportdesk.tui.styles import stylesheet

if TYPE_CHECKING:
    from supportdesk.api.models import UserProfile
    from supportdesk.api.recovery import ChallengeChannel, ChallengeSent


@dataclass(frozen=True)
class ChallengeRoute:
    """One place a code can come from, as the agent chooses it."""

    channel: ChallengeChannel
    factor_id: str | None
    label: str


def challenge_routes(profile: UserProfile, lost: Collection[str]) -> list[ChallengeRoute]:
    """Working factors first (not the lost ones: a thief could answer those), then e-mail."""
    routes: list[ChallengeRoute] = []
    for factor in profile.factors:
        if factor.id in lost:
            continue
        if factor.type == "totp":
            routes.append(
                ChallengeRoute(
                    "totp",
                    factor.id,
                    f"Authenticator app '{factor.label}': the user reads the current code",
                )
            )
        elif factor.type == "sms":
            routes.append(
                ChallengeRoute(
                    "sms",
                    factor.id,
                    f"Text a code to {factor.phone_masked or factor.label}",
                )
            )
    routes.append(ChallengeRoute("email", None, f"E-mail a code to {profile.email} (on file)"))
    return routes


class ChallengeDialog(DeskModal[ChallengeAnswered | None]):
    """Choose a route, send, type what the user reads back; dismisses with the verification."""

    CSS_PATH = stylesheet("recovery")

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, profile: UserProfile, ticket_id: str, lost: Collection[str]) -> None:
        super().__init__()
        self.profile = profile
        self.ticket_id = ticket_id
        self.routes = challenge_routes(profile, lost)
        self.sent: ChallengeSent | None = None
        keys = [f for f in profile.factors if f.type == "security_key" and f.id not in lost]
        self.key_note = (
            "A security key cannot be challenged over the phone: ask the user to sign in with it."
            if keys
            else ""
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="challenge-dialog", classes="dialog"):
            yield Static(
                f"Challenge {escape(self.profile.name)}: where should the code come from?",
                classes="dialog-title",
            )
            yield OptionList(
                *(Option(escape(r.label), id=str(n)) for n, r in enumerate(self.routes)),
                id="routes",
            )
            yield Static(escape(self.key_note), id="challenge-note")
            yield Static("", id="challenge-status")
            yield Input(placeholder="the code the user reads back", id="challenge-code")
            yield Static("", id="challenge-message")

    def on_mount(self) -> None:
        self.query_one("#challenge-code", Input).display = False
        self.query_one("#routes", OptionList).focus()

    def _say(self, text: str) -> None:
        self.query_one("#challenge-message", Static).update(escape(text))

    @on(OptionList.OptionSelected, "#routes")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.send(self.routes[int(event.option_id or 0)])

    @work(exclusive=True, exit_on_error=False)
    async def send(self, route: ChallengeRoute) -> None:
        self._say("Sending…")
        try:
            client = await self.desk.ready_client()
            sent = await client.send_challenge(
                self.profile.id,
                ticket_id=self.ticket_id,
                channel=route.channel,
                factor_id=route.factor_id,
            )
        except (InvalidInput, RateLimited, Conflict, NotFound) as exc:
            self._say(exc.message)
            return
        except ApiError as exc:
            self.dismiss(None)
            self.desk.report(exc)
            return
        self.sent = sent
        expires = sent.expires_at.astimezone(self.desk.display_zone)
        self.query_one("#challenge-status", Static).update(
            f"[b]{escape(sent.destination)}[/b]\n{escape(sent.instructions)}\n"
            f"The code is good until {expires:%H:%M}."
        )
        self._say("")
        code = self.query_one("#challenge-code", Input)
        code.display = True
        code.value = ""
        code.focus()

    @on(Input.Submitted, "#challenge-code")
    def _typed(self, event: Input.Submitted) -> None:
        code = event.value.strip()
        if not code:
            self._say("Type the code the user reads out.")
            return
        self.answer(code)

    @work(exclusive=True, exit_on_error=False)
    async def answer(self, code: str) -> None:
        assert self.sent is not None
        try:
            client = await self.desk.ready_client()
            answered = await client.answer_challenge(self.sent.id, code)
        except InvalidInput as exc:
            self._say(exc.message)
            self.query_one("#challenge-code", Input).value = ""
            return
        except (Conflict, NotFound) as exc:
            self._say(f"{exc.message} Choose a route again.")
            self.query_one("#challenge-code", Input).display = False
            self.query_one("#routes", OptionList).focus()
            return
        except ApiError as exc:
            self.dismiss(None)
            self.desk.report(exc)
            return
        self.notify(f"{answered.destination}: the code matched.", title="Identity check recorded")
        self.dismiss(answered)

    def action_cancel(self) -> None:
        self.dismiss(None)
