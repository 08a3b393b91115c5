"""The strongest identity check: a code from something the user still holds, read back.

The agent picks where the code comes from (the user's authenticator app shows
one; SMS and e-mail are sent by the service), the user reads it out, and the
service checks it. A right answer returns a verification id the actions
quote; the desk never decides on its own that a challenge passed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from supportdesk.api.errors import Conflict, InvalidInput, NotFound, RateLimited
from supportdesk.api.recovery import ChallengeAnswered
from supportdesk.rules.codes import code_problem, normalise_code
from supportdesk.tui.formatting import CODE_KEYS, mask_email
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
    routes.append(
        ChallengeRoute("email", None, f"E-mail a code to {mask_email(profile.email)} (on file)")
    )
    return routes


class ChallengeDialog(DeskModal[ChallengeAnswered | None]):
    """Choose a route, send, type what the user reads back; dismisses with the verification.

    With one route only (often just the e-mail on file) there is nothing to choose:
    the code is sent as the dialog opens.
    """

    CSS_PATH = stylesheet("recovery")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="challenge.cancel")
    ]

    def __init__(
        self,
        profile: UserProfile,
        ticket_id: str,
        lost: Collection[str],
        *,
        waiting: ChallengeSent | None = None,
    ) -> None:
        """`waiting` is a code sent earlier and not yet read back: it is offered again
        rather than sending another (the service takes one code every 30 s)."""
        super().__init__()
        self.profile = profile
        self.ticket_id = ticket_id
        self.routes = challenge_routes(profile, lost)
        self.sent: ChallengeSent | None = None
        self.waiting = waiting
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
            yield Input(
                placeholder="the code the user reads back",
                id="challenge-code",
                max_length=16,
                restrict=CODE_KEYS,
            )
            yield Static("", id="challenge-message")

    def on_mount(self) -> None:
        code = self.query_one("#challenge-code", Input)
        waiting = self.waiting
        if waiting is not None and waiting.expires_at > self.desk.now():
            self.show_sent(waiting)
            return
        if len(self.routes) == 1:
            code.focus()
            self.send(self.routes[0])
        else:
            code.display = False
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
            sent = await self.desk.call(
                lambda b: b.send_challenge(
                    self.profile.id,
                    ticket_id=self.ticket_id,
                    channel=route.channel,
                    factor_id=route.factor_id,
                ),
                expect=(InvalidInput, RateLimited, Conflict, NotFound),
            )
        except (InvalidInput, RateLimited, Conflict, NotFound) as exc:
            self._say(exc.message)
            return
        if sent is None:
            self.dismiss(None)
            return
        self.show_sent(sent)

    def show_sent(self, sent: ChallengeSent) -> None:
        """The code is on its way (or was sent before): where to, and the field for it."""
        self.sent = sent
        expires = sent.expires_at.astimezone(self.desk.display_zone)
        self.query_one("#challenge-status", Static).update(
            f"[b]{escape(sent.destination)}[/b]\n{escape(sent.instructions)}\n"
            f"The code is good until {expires:%H:%M}."
        )
        self._say("")
        code = self.query_one("#challenge-code", Input)
        if not code.display:  # a fresh route after a spent challenge: start empty
            code.value = ""
            code.display = True
        code.focus()

    @on(Input.Submitted, "#challenge-code")
    def _typed(self, event: Input.Submitted) -> None:
        """A code of the wrong shape is refused here and spends none of the attempts."""
        code = normalise_code(event.value)
        if code is None:
            self._say(code_problem(event.value) or "Type the code the user reads out.")
            return
        if self.sent is None:
            self._say("The code is still being sent: press Enter again in a moment.")
            return
        self.answer(code)

    @work(exclusive=True, exit_on_error=False)
    async def answer(self, code: str) -> None:
        assert self.sent is not None
        challenge_id = self.sent.id
        try:
            answered = await self.desk.call(
                lambda b: b.answer_challenge(challenge_id, code),
                expect=(InvalidInput, Conflict, NotFound),
            )
        except InvalidInput as exc:
            self._say(exc.message)
            self.query_one("#challenge-code", Input).value = ""
            return
        except (Conflict, NotFound) as exc:
            self.sent = None
            self._say(f"{exc.message} Choose a route again.")
            self.query_one("#challenge-code", Input).display = False
            self.query_one("#routes", OptionList).focus()
            return
        if answered is None:
            self.dismiss(None)
            return
        self.notify(f"{answered.destination}: the code matched.", title="Identity check recorded")
        self.dismiss(answered)

    def action_cancel(self) -> None:
        self.dismiss(None)
