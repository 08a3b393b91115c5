"""A back end that lacks features: the desk shows each as unavailable with the back end's
reason, before a key is pressed, and never answers a key with an error.

Runs against the real service whose capabilities answer withholds SMS, resets, access
codes and exports (tests/tui/support.py `lacking_backend`); the coordinator points that at
the service's test-only provider once it is merged."""

from __future__ import annotations

from typing import Any

from supportdesk.api.client import SupportDeskClient
from supportdesk.service.context import ServiceContext
from supportdesk.tui.app import SupportDeskApp
from supportdesk.tui.commands import DeskCommands
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.audit_log import AuditLogScreen
from supportdesk.tui.screens.lost_device import LostDeviceScreen
from supportdesk.tui.screens.queue import QueueScreen
from tests.tui.support import (
    LACKING,
    FakeMonotonic,
    Notices,
    desk_settings,
    lacking_backend,
    sign_in,
    text,
    wait_for_screen,
)


def desk_on(ctx: ServiceContext) -> SupportDeskApp:
    async def connect(_settings: Any) -> SupportDeskClient:
        return lacking_backend(ctx)

    return SupportDeskApp(connect, desk_settings(), monotonic=FakeMonotonic(), now=ctx.clock.now)


def palette_entry(screen: Any, name: str) -> tuple[str, str]:
    provider = DeskCommands(screen)
    for found, _run, help_text in provider._entries():
        if found == name:
            return found, help_text
    raise AssertionError(f"no palette entry {name!r}")


async def test_missing_features_are_unavailable_with_the_reason_never_an_error(
    ctx: ServiceContext,
) -> None:
    app = desk_on(ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        notices = Notices(app)
        await sign_in(pilot, ctx, "demo-lead")
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        queue.open_ticket_id("T-1042")
        account = await wait_for_screen(pilot, AccountScreen)

        # SMS: the key is dimmed, the palette says why, and pressing it opens nothing.
        assert account.check_action("branch", ("sms",)) is None
        _name, why = palette_entry(account, "SMS code not received")
        assert why == (f"SMS troubleshooting is not available on this back end: {LACKING['sms']}.")
        await pilot.press("s")
        await pilot.pause()
        assert app.screen is account

        # Lost phone: reset and access code dimmed, the readiness strip says why.
        await pilot.press("escape")
        queue = await wait_for_screen(pilot, QueueScreen)
        queue.open_ticket_id("T-1050")
        await wait_for_screen(pilot, AccountScreen)
        await pilot.press("l")
        lost = await wait_for_screen(pilot, LostDeviceScreen)
        assert lost.check_action("recover", ("reset_mfa",)) is None
        assert lost.check_action("recover", ("issue_access_code",)) is None
        assert lost.check_action("recover", ("remove_factor",)) is True
        readiness = text(lost, "#readiness")
        assert f"Reset MFA is not available on this back end: {LACKING['reset_mfa']}" in readiness
        assert LACKING["access_code"] in readiness
        await pilot.press("R", "o")
        await pilot.pause()
        assert app.screen is lost

        # The audit log: export dimmed with its reason; the rest works.
        await pilot.press("escape", "escape")
        await wait_for_screen(pilot, QueueScreen)
        await pilot.press("A")
        audit = await wait_for_screen(pilot, AuditLogScreen)
        assert audit.check_action("export", ()) is None
        assert audit.check_action("verify", ()) is True
        assert LACKING["audit_export"] in palette_entry(audit, "Audit: export this filter")[1]
        await pilot.press("e")
        await pilot.pause()
        assert app.screen is audit
    assert not [t for t, _m in notices.shown if t in ("Refused", "Unexpected")]
