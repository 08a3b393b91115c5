"""A back end that lacks features: the desk shows each as unavailable with the back end's
reason, before a key is pressed, and never answers a key with an error.

The back end is the real service with the test-only dict provider behind it
(tests/providers/dict_provider.py): it sends no texts, and here it also leaves resets and
access codes to its own console. Exports are the desk's own feature, so the audit part
meets a service whose capabilities answer withholds them (`lacking_backend`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from supportdesk.api.client import SupportDeskClient
from supportdesk.embedded import client_for
from supportdesk.service.context import ServiceContext
from supportdesk.service.provider import Capability
from supportdesk.tui.app import SupportDeskApp
from supportdesk.tui.commands import DeskCommands
from supportdesk.tui.screens.account import AccountScreen
from supportdesk.tui.screens.audit_log import AuditLogScreen
from supportdesk.tui.screens.lost_device import LostDeviceScreen
from supportdesk.tui.screens.queue import QueueScreen
from tests.providers.dict_provider import NO_SMS, dict_context
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

CONSOLE_ONLY = {
    Capability.RESET_MFA: "resets are done in the provider's own console",
    Capability.ACCESS_CODE: "the provider issues no one-time codes",
}


def desk_on(ctx: ServiceContext, client: SupportDeskClient) -> SupportDeskApp:
    async def connect(_settings: Any) -> SupportDeskClient:
        return client

    return SupportDeskApp(connect, desk_settings(), monotonic=FakeMonotonic(), now=ctx.clock.now)


def palette_entry(screen: Any, name: str) -> tuple[str, str]:
    provider = DeskCommands(screen)
    for found, _run, help_text in provider._entries():
        if found == name:
            return found, help_text
    raise AssertionError(f"no palette entry {name!r}")


async def test_missing_features_are_unavailable_with_the_reason_never_an_error(
    demo_db: Path,
) -> None:
    ctx = await dict_context(demo_db, lacking=CONSOLE_ONLY)
    app = desk_on(ctx, client_for(ctx))
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
        assert why == f"SMS troubleshooting is not available on this back end: {NO_SMS}."
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
        reset_why = CONSOLE_ONLY[Capability.RESET_MFA]
        assert f"Reset MFA is not available on this back end: {reset_why}" in readiness
        assert CONSOLE_ONLY[Capability.ACCESS_CODE] in readiness
        await pilot.press("R", "o")
        await pilot.pause()
        assert app.screen is lost

    await ctx.engine.dispose()
    assert not [t for t, _m in notices.shown if t in ("Refused", "Unexpected")]


async def test_a_desk_feature_switched_off_is_dimmed_with_its_reason(ctx: ServiceContext) -> None:
    app = desk_on(ctx, lacking_backend(ctx))
    async with app.run_test(size=(80, 24)) as pilot:
        notices = Notices(app)
        await sign_in(pilot, ctx, "demo-lead")
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
