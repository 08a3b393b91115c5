"""The desk: one Textual app; screens per step; the back end behind workers.

The first frame needs nothing but Textual: the settings (pydantic), the keymap
check and the back end (maybe the whole embedded service) load after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any, TypeVar

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from supportdesk.api.errors import ApiError, ServiceUnavailable, StoreUnavailable, Unauthorised
from supportdesk.tui.commands import DeskCommands
from supportdesk.tui.screens.lock import LockScreen
from supportdesk.tui.screens.signin import SignInScreen
from supportdesk.tui.screens.unreachable import UnreachableScreen
from supportdesk.tui.styles import stylesheet

if TYPE_CHECKING:
    from supportdesk.api.backend import DeskBackend
    from supportdesk.api.models import AgentSession, Capabilities
    from supportdesk.config import DeskSettings

T = TypeVar("T")

STORE_POLL_MAX_S = 10
"""The longest the desk waits between asking whether the service's database is back."""

Connector = Callable[["DeskSettings"], Awaitable["DeskBackend"]]
"""Builds the back end for these settings, in a worker after the first frame."""


class SupportDeskApp(App[int]):
    TITLE = "supportdesk"
    CSS_PATH = stylesheet("desk")
    COMMANDS = App.COMMANDS | {DeskCommands}
    BINDINGS = [
        Binding("ctrl+l", "lock", "Lock", id="lock", show=False),
        Binding("ctrl+o", "sign_out", "Sign out", id="sign_out", show=False),
        Binding("ctrl+q", "quit", "Quit", id="quit"),
        Binding("question_mark", "keys", "Keys", id="keys", key_display="?"),
        Binding("f1", "keys", "Keys", id="keys_f1", show=False),
    ]

    connection: reactive[str] = reactive("connecting")
    agent_label: reactive[str] = reactive("")
    backend_label: reactive[str] = reactive("")
    demo_mode: reactive[bool] = reactive(False)
    store_down: reactive[bool] = reactive(False)
    """The service answers but its database does not: a banner, actions paused, polling."""

    def __init__(
        self,
        connect: Connector,
        settings: DeskSettings | Callable[[], DeskSettings],
        *,
        backend_label: str = "",
        release: Callable[[], Awaitable[None]] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self._connect = connect
        self._release = release
        self._settings_source = settings
        self.settings: DeskSettings | None = None
        self._monotonic = monotonic
        self._now = now or (lambda: datetime.now(UTC))
        self.backend: DeskBackend | None = None
        self.capabilities: Capabilities | None = None
        self.session: AgentSession | None = None
        self.display_zone: tzinfo | None = None
        self._connected = asyncio.Event()
        self._last_activity = monotonic()
        self._store_poll: Timer | None = None
        self.set_reactive(SupportDeskApp.backend_label, backend_label)

    # -- start-up -----------------------------------------------------------

    def on_mount(self) -> None:
        if not callable(self._settings_source) and not self.use_settings(self._settings_source):
            return
        self.push_screen(SignInScreen())
        # Settings and the back end load after the first frame; so does the garbage
        # collector, if the entry point held it off for start-up.
        self.call_after_refresh(_collect_from_now_on)
        self.call_after_refresh(self.connect_backend)
        self.set_interval(1.0, self.lock_if_idle)

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect_backend(self) -> None:
        """Read the settings, then build the back end (maybe start the embedded service)."""
        self.connection = "connecting"
        if self.settings is None and not await self._load_settings():
            return
        assert self.settings is not None
        try:
            if self.backend is None:
                self.backend = await self._connect(self.settings)
                self.backend_label = self.backend.label
            self.capabilities = await self.backend.capabilities()
        except ApiError as exc:
            self.show_unreachable(exc.message)
            return
        except Exception as exc:  # the embedded service failed to start: say so plainly
            self.show_unreachable(f"the auth service could not start: {exc}")
            return
        self.demo_mode = self.capabilities.demo_mode
        self.mark_connected()
        self.refresh_bindings()

    async def _load_settings(self) -> bool:
        """Settings in a thread (pydantic loads there); a bad file or keymap ends the desk."""
        from supportdesk.config import ConfigError

        source = self._settings_source
        assert callable(source)

        def read() -> tuple[DeskSettings, str | None]:
            settings = source()
            return settings, _keymap_problem(settings)

        try:
            settings, problem = await asyncio.to_thread(read)
        except ConfigError as exc:
            self.exit(2, 2, f"supportdesk: {exc}")
            return False
        return self.use_settings(settings, problem)

    def use_settings(self, settings: DeskSettings, problem: str | None = None) -> bool:
        """Apply settings; an unknown binding id in the keymap ends the desk, said plainly."""
        from zoneinfo import ZoneInfo

        problem = problem or _keymap_problem(settings)
        if problem:
            self.exit(2, 2, f"supportdesk: {problem}")
            return False
        if settings.keymap:
            self.set_keymap(settings.keymap)
        self.settings = settings
        self.display_zone = (
            ZoneInfo(settings.display_timezone) if settings.display_timezone else None
        )
        return True

    async def on_unmount(self) -> None:
        """The back end's connections close with the desk, then whatever the entry point
        started for it (the embedded service's process)."""
        if self.backend is not None:
            await self.backend.aclose()
        if self._release is not None:
            await self._release()

    def mark_connected(self) -> None:
        self.connection = "connected"
        self._connected.set()

    async def ready_backend(self) -> DeskBackend:
        """The back end, once it answers (sign-in may be typed before that)."""
        await self._connected.wait()
        assert self.backend is not None
        return self.backend

    async def call(
        self,
        request: Callable[[DeskBackend], Awaitable[T]],
        *,
        expect: tuple[type[ApiError], ...] = (),
    ) -> T | None:
        """One request, once the back end answers. A failure the caller does not `expect`
        is handled here, the one place failures become what the agent sees (sign in
        again, the retry screen, or a notice), and comes back as None."""
        try:
            return await request(await self.ready_backend())
        except expect:
            raise
        except ApiError as exc:
            self.report(exc)
            return None

    def now(self) -> datetime:
        return self._now()

    # -- what this agent and this back end may do ----------------------------------

    @property
    def is_lead(self) -> bool:
        return self.session is not None and self.session.agent.role == "lead"

    def offers(self, feature: str) -> bool:
        """Whether the back end offers a feature (assumed until it has said)."""
        return self.capabilities is None or self.capabilities.offers(feature)

    def missing(self, feature: str) -> str | None:
        """Why the back end lacks a feature, for the agent; None when it offers it."""
        if self.offers(feature):
            return None
        from supportdesk.api.features import TITLES

        assert self.capabilities is not None
        title = TITLES.get(feature, feature.replace("_", " "))
        why = self.capabilities.why_not(feature) or "this back end does not offer it"
        return f"{title[:1].upper()}{title[1:]} is not available on this back end: {why}."

    # -- session ----------------------------------------------------------------

    def signed_in(self, session: AgentSession) -> None:
        self.session = session
        self.agent_label = f"{session.agent.display_name} · {session.agent.role}"
        self.refresh_bindings()
        self.note_activity()
        if isinstance(self.screen, LockScreen):
            self.pop_screen()
        else:
            # Imported on first use: the queue's table is not needed for the first frame.
            from supportdesk.tui.screens.queue import QueueScreen

            self.switch_screen(QueueScreen())

    async def back_to_sign_in(self, message: str) -> None:
        """Drop every screen of the old session and ask for credentials again."""
        self.session = None
        self.agent_label = ""
        self.refresh_bindings()
        if self.backend is not None:
            self.backend.forget_session()
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(SignInScreen(message=message))

    def session_expired(self, message: str = "Your session has expired: sign in again.") -> None:
        self.call_later(self.back_to_sign_in, message)

    def show_unreachable(self, message: str) -> None:
        self.connection = "unreachable"
        self._connected.clear()
        if not isinstance(self.screen, UnreachableScreen):
            self.push_screen(UnreachableScreen(message))

    def store_unavailable(self, exc: StoreUnavailable) -> None:
        """Pause for a database outage: the banner shows, keys dim, and the desk asks the
        service every Retry-After seconds until its database answers again."""
        self.store_down = True
        if self._store_poll is None:
            every = float(min(max(exc.retry_after_s, 1), STORE_POLL_MAX_S))
            self._store_poll = self.set_interval(every, self._poll_store)

    def _poll_store(self) -> None:
        self._check_store()

    @work(exclusive=True, group="store-poll", exit_on_error=False)
    async def _check_store(self) -> None:
        if self.backend is None:
            return
        try:
            await self.backend.ready()
        except StoreUnavailable:
            return  # still down: the next tick asks again
        except ServiceUnavailable as exc:
            self._store_recovered()
            self.show_unreachable(exc.message)  # now the service itself is gone
            return
        except ApiError:
            return
        self._store_recovered()

    def _store_recovered(self) -> None:
        if self._store_poll is not None:
            self._store_poll.stop()
            self._store_poll = None
        self.store_down = False

    def watch_store_down(self, _down: bool) -> None:
        self.refresh_bindings()

    def report(self, exc: ApiError) -> None:
        """The one place API failures become what the agent sees."""
        if isinstance(exc, Unauthorised):
            self.session_expired()
        elif isinstance(exc, StoreUnavailable):
            self.store_unavailable(exc)
        elif isinstance(exc, ServiceUnavailable):
            self.show_unreachable(exc.message)
        else:
            self.notify(exc.message, title="Refused", severity="error", timeout=8)

    # -- idle lock, lock and sign-out ------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown):
            self.note_activity()
        await super().on_event(event)

    def note_activity(self) -> None:
        self._last_activity = self._monotonic()

    def lock_if_idle(self) -> None:
        if self.settings is None or self.session is None:
            return
        if self._monotonic() - self._last_activity >= self.settings.idle_lock_minutes * 60:
            self.action_lock()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Lock and sign-out only mean something while an agent is signed in; the inbox
        and the log (leads only) need the back end to offer them."""
        if action in ("lock", "sign_out"):
            return self.session is not None
        if self.store_down and action in ("open_approvals", "open_audit_log"):
            return None
        if action == "open_audit_log" and not self.is_lead:
            return False
        feature = {"open_approvals": "approvals", "open_audit_log": "audit"}.get(action)
        if feature is not None:
            return None if not self.offers(feature) else self.session is not None
        return True

    def unavailable_reason(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        feature = {"open_approvals": "approvals", "open_audit_log": "audit"}.get(action)
        return self.missing(feature) if feature else None

    def action_open_approvals(self) -> None:
        """The approvals inbox, from anywhere (the palette): leads decide, agents follow."""
        from supportdesk.tui.screens.approvals import ApprovalsScreen

        self.push_screen(ApprovalsScreen())

    def action_open_audit_log(self) -> None:
        from supportdesk.tui.screens.audit_log import open_audit_log

        open_audit_log(self)

    def action_lock(self) -> None:
        if self.session is None or isinstance(self.screen, LockScreen):
            return
        self.push_screen(LockScreen(self.session.agent.username))
        self._end_session_for_lock()

    @work(group="session", exit_on_error=False)
    async def _end_session_for_lock(self) -> None:
        """A locked desk holds no live token: unlocking signs in afresh."""
        if self.backend is not None:
            # The token is gone here either way; unreachable, the service idles it out.
            with contextlib.suppress(ApiError):
                await self.backend.sign_out("lock")

    def action_sign_out(self) -> None:
        if self.session is not None:
            self._sign_out()

    @work(exclusive=True, group="session", exit_on_error=False)
    async def _sign_out(self) -> None:
        """The server session ends (and is audited) before the sign-in screen shows."""
        message = "Signed out."
        if self.backend is not None:
            try:
                await self.backend.sign_out()
            except ServiceUnavailable as exc:
                message = (
                    f"Signed out on this desk only: {exc.message}. The session on the "
                    "service ends when it idles out."
                )
            except Unauthorised:
                pass  # already ended on the service
            except ApiError as exc:
                message = f"Signed out on this desk; the service said: {exc.message}."
        await self.back_to_sign_in(message)

    def action_keys(self) -> None:
        """The keys of the screen in front, in Textual's help panel (? or F1 again hides it)."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    # -- safety net ---------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """No traceback reaches the screen: an unexpected failure becomes a notice."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error: Any = event.worker.error
            if isinstance(error, ApiError):
                self.report(error)
            else:
                self.notify(f"Something went wrong: {error}", title="Unexpected", severity="error")


def _collect_from_now_on() -> None:
    """Garbage collection on (again), leaving out what start-up made: the modules,
    classes and first screen live as long as the desk, so no collection walks them."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _keymap_problem(settings: DeskSettings) -> str | None:
    """An unknown binding id in the keymap (the desk's modules load only when there is one)."""
    if not settings.keymap:
        return None
    from supportdesk.tui.keys import keymap_problem

    return keymap_problem(settings.keymap)
