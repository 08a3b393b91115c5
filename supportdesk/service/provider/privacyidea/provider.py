"""The identity provider in front of a privacyIDEA server, through `PrivacyIdeaClient`.

Users come from the realms' resolvers (`GET /user/`), factors from their tokens, and
every change is made in privacyIDEA; the desk keeps its own tickets, agents, approvals
and audit chain. `conn` is never used: privacyIDEA is the store, and a refused call
raises (see `failures`) before the operation writes its entry. Each change notes the
serial and privacyIDEA's audit row (`receipts.note`) for our entry.
"""

from __future__ import annotations

from supportdesk.service.provider.interface import ProviderEnv
from supportdesk.service.provider.privacyidea.capabilities import CAPABILITIES
from supportdesk.service.provider.privacyidea.fixes import Fixes
from supportdesk.service.provider.privacyidea.people import People
from supportdesk.service.provider.privacyidea.settings import PrivacyIdeaSettings
from supportdesk.service.provider.privacyidea.texts import Texts


class PrivacyIdeaProvider(People, Texts, Fixes):
    """Every call of `IdentityProvider`, made in privacyIDEA."""

    name = "privacyidea"
    capabilities = CAPABILITIES


def privacyidea_provider(env: ProviderEnv) -> PrivacyIdeaProvider:
    """The factory `open_context(provider=...)` takes: privacyIDEA settings from the
    environment (SUPPORTDESK_PI_*)."""
    return PrivacyIdeaProvider(env, PrivacyIdeaSettings())
