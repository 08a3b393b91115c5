"""Which screen serves which branch of the troubleshooting tree.

Each branch screen takes the user's profile and the ticket (if any) and
dismisses with the resolved ticket, or None when the agent steps back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from supportdesk.api.models import Ticket, UserProfile
    from supportdesk.tui.screens.branch_base import BranchScreen


def branch_screen(branch: str, profile: UserProfile, ticket: Ticket | None) -> BranchScreen:
    if branch == "sms":
        from supportdesk.tui.screens.sms import SmsScreen

        return SmsScreen(profile, ticket)
    if branch == "authenticator":
        from supportdesk.tui.screens.authenticator import AuthenticatorScreen

        return AuthenticatorScreen(profile, ticket)
    if branch == "lost_device":
        from supportdesk.tui.screens.lost_device import LostDeviceScreen

        return LostDeviceScreen(profile, ticket)
    if branch == "why_prompted":
        from supportdesk.tui.screens.why_prompted import WhyPromptedScreen

        return WhyPromptedScreen(profile, ticket)
    raise ValueError(f"no branch called {branch!r}")
