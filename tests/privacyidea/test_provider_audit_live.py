"""privacyIDEA's own audit rows for a user, read by a lead through the desk: a change made
through the desk shows there, under the number our entry names, with a passing signature."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise

import pytest
from textual.widgets import DataTable, Input

from supportdesk.api.errors import ApiError
from supportdesk.rules.policy import Action
from supportdesk.tui.screens.audit_log import AuditLogScreen
from supportdesk.tui.screens.provider_audit import ProviderAuditScreen
from tests.privacyidea.desk import KIOSK_LEAD, PiDesk
from tests.privacyidea.people import Phone
from tests.tui.support import make_desk, settle, sign_in, text, wait_for_screen, wait_for_text

DEADLINE_S = 30.0
SAME_MOMENT = timedelta(seconds=1)


async def remove_through_the_desk(pi_desk: PiDesk, phone: Phone, username: str) -> tuple[str, int]:
    """Remove the token as an agent would; our id of the user and the row our entry names."""
    user_id = await pi_desk.user_id(username)
    ticket = await pi_desk.ticket(user_id, "Lost my old phone")
    done = await pi_desk.agent.recover(
        Action.REMOVE_FACTOR,
        user_id,
        ticket_id=ticket,
        reason="old phone lost",
        checks=["account_owner_callback"],
        factor_id=phone.serial,
    )
    assert done.status == "done"
    [entry] = await pi_desk.entries("factor.remove", user_id)
    [noted] = json.loads(str(entry["detail"]))["provider"]
    assert noted["serial"] == phone.serial and isinstance(noted["audit_row"], int)
    return user_id, noted["audit_row"]


async def test_a_lead_reads_privacyideas_rows_for_a_change_with_its_signature(
    pi_desk: PiDesk, enroll_totp: Callable[[str], Phone]
) -> None:
    phone = enroll_totp("ray.castillo")
    user_id, number = await remove_through_the_desk(pi_desk, phone, "ray.castillo")

    audit = await pi_desk.lead.audit_provider(user_id)

    assert (audit.provider, audit.user_id) == ("privacyidea", user_id)
    row = next(r for r in audit.rows if r.number == number)
    assert row.action.startswith("DELETE /token") and row.serial == phone.serial
    assert row.success and row.signature_ok is True
    assert all(r.signature_ok is True for r in audit.rows)
    # Newest first in privacyIDEA's own numbering. Its rows are numbered as they are
    # written, so two requests it answered at once can carry times a few milliseconds
    # out of that order (seen on a loaded machine): held to a second, not to the microsecond.
    numbers = [r.number for r in audit.rows]
    assert numbers == sorted(numbers, reverse=True) and len(set(numbers)) == len(numbers)
    assert all(newer.at > older.at - SAME_MOMENT for newer, older in pairwise(audit.rows))
    with pytest.raises(ApiError) as refused:  # an agent is no lead
        await pi_desk.agent.audit_provider(user_id)
    assert refused.value.status == 403
    assert await pi_desk.chain_intact()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_audit_screen_shows_privacyideas_rows_for_the_entrys_user(
    pi_desk: PiDesk, enroll_totp: Callable[[str], Phone], size: tuple[int, int]
) -> None:
    phone = enroll_totp("sophie.tremblay")
    user_id, number = await remove_through_the_desk(pi_desk, phone, "sophie.tremblay")
    app = make_desk(pi_desk.ctx)
    async with app.run_test(size=size) as pilot:
        await sign_in(pilot, pi_desk.ctx, KIOSK_LEAD)
        await pilot.press("A")
        screen = await wait_for_screen(pilot, AuditLogScreen, DEADLINE_S)
        screen.query_one("#audit-user", Input).value = user_id
        screen.query_one("#audit-when", Input).focus()
        await pilot.press("enter")
        await settle(pilot, DEADLINE_S)
        assert screen.selected_entry() is not None
        assert screen.check_action("provider_rows", ()) is True

        await pilot.press("p")
        dialog = await wait_for_screen(pilot, ProviderAuditScreen, DEADLINE_S)
        await wait_for_text(pilot, "#provider-audit-status", "every signature checks out")

        table = dialog.query_one("#provider-audit-table", DataTable)
        cells = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        row = next(c for c in cells if c[0] == str(number))
        assert row[2].startswith("DELETE /token") and row[3] == phone.serial
        assert row[4:] == ["success", "verified"]
        assert "in privacyIDEA's audit" in text(dialog, "#provider-audit-status")
        assert "signature checks out" in text(dialog, "#provider-audit-info")
        await pilot.press("escape")
        await wait_for_screen(pilot, AuditLogScreen, DEADLINE_S)
