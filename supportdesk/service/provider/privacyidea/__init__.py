"""privacyIDEA behind the desk: its REST client, typed answers and settings.

Free of FastAPI and of the desk; the provider built on it lives beside this.
"""

from supportdesk.service.provider.privacyidea.api import PrivacyIdeaClient
from supportdesk.service.provider.privacyidea.errors import (
    PiAuthFailed,
    PiBadRequest,
    PiNotFound,
    PiPolicyDenied,
    PiRefused,
    PiUnreachable,
    PrivacyIdeaError,
)
from supportdesk.service.provider.privacyidea.models import (
    PiAuditEntry,
    PiAuditPage,
    PiChallenge,
    PiCheck,
    PiLostToken,
    PiPhone,
    PiToken,
    PiTokenPage,
    PiUser,
)
from supportdesk.service.provider.privacyidea.settings import PrivacyIdeaSettings

__all__ = [
    "PiAuditEntry",
    "PiAuditPage",
    "PiAuthFailed",
    "PiBadRequest",
    "PiChallenge",
    "PiCheck",
    "PiLostToken",
    "PiNotFound",
    "PiPhone",
    "PiPolicyDenied",
    "PiRefused",
    "PiToken",
    "PiTokenPage",
    "PiUnreachable",
    "PiUser",
    "PrivacyIdeaClient",
    "PrivacyIdeaError",
    "PrivacyIdeaSettings",
]
