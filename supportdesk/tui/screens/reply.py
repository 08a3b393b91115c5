"""Writing the reply to the user: a text area, and what is ready to insert beside it.

Beside the text: the branch's explanation (the why-prompted sentence, the user's own
SMS country) and the help article's answers, those the ticket's words find first.
Enter on one puts it into the reply at the cursor. The reply goes with the resolution
(ctrl+s) or on its own (ctrl+r); a code, seed or full phone number pasted into it is
stopped here with the reason, and the service checks again.

A "setup help" or "not about MFA" ticket is answered and resolved from here without
opening the user's account.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.widgets.text_area import Selection

from supportdesk.api import features
from supportdesk.api.errors import InvalidInput
from supportdesk.rules.quick_answers import QUICK_ANSWERS
from supportdesk.rules.reply_check import check_reply
from supportdesk.rules.tree import Branch
from supportdesk.tui.aware import DeskAware
from supportdesk.tui.commands import PaletteCommand
from supportdesk.tui.screens.resolve import ResolveScreen
from supportdesk.tui.styles import stylesheet
from supportdesk.tui.widgets.desk_header import DeskHeader
from supportdesk.tui.words.branches import (
    BRANCH_SHORT,
    RESOLVE_OUTCOMES,
    branch_line,
    shown_branch,
)
from supportdesk.tui.words.replies import (
    DELIVERY_WORDS,
    Snippet,
    quick_snippet,
    reply_summary,
    separator,
    snippets_for,
)
from supportdesk.tui.words.risk import password_reading, plain_reply

if TYPE_CHECKING:
    from supportdesk.api.models import Ticket


def location(text: str, index: int) -> tuple[int, int]:
    """(row, column) of a character offset, as the text area counts them."""
    row = text.count("\n", 0, index)
    return row, index - (text.rfind("\n", 0, index) + 1)


class ReplyScreen(DeskAware, Screen["Ticket | None"]):
    """Dismisses with the resolved ticket, or None when the agent steps back."""

    CSS_PATH = stylesheet("reply")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="reply.back"),
        Binding("ctrl+s", "send_and_resolve", "Send + resolve", id="reply.resolve"),
        Binding("ctrl+r", "send", "Send only", id="reply.send"),
        Binding("ctrl+f", "find_answer", "Quick answer", id="reply.quick_answer"),
    ]

    def __init__(
        self,
        ticket: Ticket,
        *,
        branch: str | None = None,
        explanation: str = "",
        insert: str | None = None,
        outcome: str | None = None,
        note: str = "",
    ) -> None:
        super().__init__()
        self.outcome = outcome
        """The outcome the branch screen's work implies (else the branch's own)."""
        self.note = note
        self.ticket = ticket
        self.branch = branch or shown_branch(ticket)
        self.explanation = explanation
        self.snippets: list[Snippet] = []
        self.user_region: str | None = None
        self.first_insert = insert
        """A quick answer's id to put into the reply as soon as the screen opens."""
        self.note_titles: list[str] = []
        """The answers inserted, for the resolution's note."""

    @property
    def first_name(self) -> str:
        if self.ticket.user_id is None:  # an unknown sender: their address is all we know
            return self.ticket.sender or "the sender"
        name = self.ticket.user_name.split()
        return name[0] if name else "the user"

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(self.strip_text(), classes="branch-strip", id="reply-strip")
        with Vertical(id="reply"):
            yield Static(self.ticket_text(), id="reply-ticket")
            yield Static("", id="reply-previous")
            with Horizontal(id="reply-row"):
                yield TextArea(
                    id="reply-text",
                    placeholder=f"Write to {self.first_name}, or insert from the list →",
                )
                with Vertical(id="reply-side"):
                    yield Static("Ready to insert (Enter)", classes="section-title")
                    yield OptionList(id="reply-snippets")
            yield Static("", id="reply-message")
        yield Footer(compact=True, show_command_palette=False)

    def strip_text(self) -> str:
        short = BRANCH_SHORT.get(self.branch, "Unsure")
        who = escape(f"{self.ticket.user_name} · {self.ticket.company}")
        return f"[b]Reply[/b] · {self.ticket.id} · {short} · {who}"

    def ticket_text(self) -> str:
        words = " ".join(self.ticket.text.split())
        return (
            f"[b]{escape(self.ticket.subject)}[/b] [dim]({escape(branch_line(self.ticket))})[/dim]"
            f"\n{escape(words)}"
        )

    def on_mount(self) -> None:
        self.show_previous()
        self._say("")
        self.show_snippets()
        if self.first_insert:
            self.insert_answer(self.first_insert)
        else:
            self.query_one("#reply-snippets", OptionList).focus()
        self.load_context()

    def show_snippets(self) -> None:
        self.snippets = snippets_for(
            self.ticket.subject,
            self.ticket.text,
            self.branch,
            region=self.user_region,
            explanation=self.explanation,
        )
        options = self.query_one("#reply-snippets", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options([Option(escape(s.title), id=s.id) for s in self.snippets])
        if self.snippets:
            options.highlighted = min(highlighted or 0, len(self.snippets) - 1)

    @work(exclusive=True, group="reply-context", exit_on_error=False)
    async def load_context(self) -> None:
        """What the branch's explanation needs: the user's country, their sign-ins."""
        user_id = self.ticket.user_id
        if user_id is None:  # an unknown sender: no account to read
            return
        if self.explanation and self.branch != Branch.SMS_NOT_RECEIVED.value:
            return
        if self.branch == Branch.SMS_NOT_RECEIVED.value and self.desk.offers(features.USERS):
            profile = await self.desk.call(lambda b: b.get_user(user_id))
            if profile is not None:
                self.user_region = profile.region
                self.show_snippets()
        elif self.branch == Branch.WHY_PROMPTED.value and self.desk.offers(features.WHY_PROMPTED):
            report = await self.desk.call(lambda b: b.why_prompted(user_id))
            if report is None:
                return
            zone = self.desk.display_zone
            reading = password_reading(report, self.first_name, zone)
            if reading is not None:
                self.explanation = reading.reply
            elif report.latest_prompt is not None:
                self.explanation = plain_reply(report.latest_prompt, self.first_name, zone)
            self.show_snippets()

    # -- inserting ------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#reply-snippets")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        found = next((s for s in self.snippets if s.id == event.option.id), None)
        if found is not None:
            self.insert_snippet(found)

    def insert_snippet(self, snippet: Snippet) -> None:
        """At the cursor, as its own paragraph; the cursor after it, ready to go on."""
        area = self.query_one("#reply-text", TextArea)
        location = area.cursor_location
        before = area.document.get_text_range((0, 0), location)
        result = area.insert(separator(before) + snippet.text, location)
        area.move_cursor(result.end_location)
        if snippet.title not in self.note_titles:
            self.note_titles.append(snippet.title)
        self._say("")
        area.focus()

    def insert_answer(self, answer_id: str) -> None:
        self.insert_snippet(quick_snippet(answer_id, self.user_region))

    def action_find_answer(self) -> None:
        from supportdesk.tui.screens.quick_answers import QuickAnswerPicker

        self.app.push_screen(QuickAnswerPicker(), self._picked)

    def _picked(self, answer_id: str | None) -> None:
        if answer_id:
            self.insert_answer(answer_id)

    # -- sending --------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        message = self.query_one("#reply-message", Static)
        message.update(escape(text))
        message.display = bool(text)

    def checked_text(self) -> str | None:
        """The reply, or None after saying what is wrong with it (and selecting it)."""
        area = self.query_one("#reply-text", TextArea)
        text = area.text
        if not text.strip():
            self._say("Write the reply first, or insert an answer from the list.")
            area.focus()
            return None
        problems = check_reply(text)
        if problems:
            first = problems[0]
            area.selection = Selection(location(text, first.start), location(text, first.end))
            area.focus()
            self._say(f"Not sent: {first.message}")
            return None
        return text.strip()

    def suggested_note(self) -> str:
        if self.note:
            return self.note
        if self.note_titles:
            return "Answered: " + "; ".join(self.note_titles)
        return "Answered the user"

    def action_send_and_resolve(self) -> None:
        text = self.checked_text()
        if text is None or self.ticket.status != "open":
            if self.ticket.status != "open":
                self._say("This ticket is resolved already.")
            return
        outcome = self.outcome or RESOLVE_OUTCOMES.get(self.branch)
        self.app.push_screen(
            ResolveScreen(self.ticket, outcome=outcome, note=self.suggested_note(), reply=text),
            self._resolved,
        )

    def _resolved(self, ticket: Ticket | None) -> None:
        if ticket is not None:
            self.dismiss(ticket)

    def action_send(self) -> None:
        text = self.checked_text()
        if text is not None:
            self.send(text)

    @work(exclusive=True, group="reply-send", exit_on_error=False)
    async def send(self, text: str) -> None:
        try:
            ticket = await self.desk.call(
                lambda b: b.add_reply(self.ticket.id, text), expect=(InvalidInput,)
            )
        except InvalidInput as exc:
            self._say(exc.message)
            return
        if ticket is None:
            return
        self.ticket = ticket
        self.query_one("#reply-text", TextArea).load_text("")
        state = ticket.replies[-1].delivery_state if ticket.replies else "recorded"
        self.notify(f"Reply to {self.first_name}: {DELIVERY_WORDS.get(state, state)}.")
        self.show_previous()

    def show_previous(self) -> None:
        """The replies already on the ticket, one line each, with where each stands."""
        previous = self.query_one("#reply-previous", Static)
        previous.update(
            "\n".join(
                f"[dim]{escape(r.author)}: {escape(reply_summary(r.body, r.delivery_state))}[/dim]"
                for r in self.ticket.replies
            )
        )
        previous.display = bool(self.ticket.replies)

    def action_back(self) -> None:
        self.dismiss(None)

    def palette_commands(self) -> list[PaletteCommand]:
        found: list[PaletteCommand] = [
            ("Send the reply and resolve", self.action_send_and_resolve, "ctrl+s"),
            ("Send the reply only", self.action_send, "The ticket stays open (ctrl+r)"),
        ]
        for answer in QUICK_ANSWERS:
            found.append(
                (
                    f"Quick answer: {answer.title}",
                    partial(self.insert_answer, answer.id),
                    "Into the reply, at the cursor",
                )
            )
        return found
