"""What this back end offers, feature by feature: the desk's own, and the provider's.

A feature is offered when every provider capability it needs is; otherwise it is listed
as unavailable with the provider's reason, so a screen can say so before a key press.
"""

from __future__ import annotations

from collections.abc import Mapping

from supportdesk import __version__
from supportdesk.api import features as f
from supportdesk.api.models import Capabilities, FeatureGap
from supportdesk.service.context import ServiceContext
from supportdesk.service.provider import Capability as C
from supportdesk.service.provider import IdentityProvider

BACKEND = "supportdesk reference auth service"

NEEDS: Mapping[str, tuple[C, ...]] = {
    f.TICKETS: (),
    f.USERS: (C.FIND_USERS, C.READ_FACTORS),
    f.SIGNINS: (C.SIGN_IN_HISTORY,),
    f.AUDIT: (),
    f.AUDIT_EXPORT: (),
    f.AUDIT_VERIFY: (),
    f.AUDIT_REVIEW: (),
    f.PROVIDER_AUDIT: (C.PROVIDER_AUDIT,),
    f.ENDUSER_SIGNIN: (C.ENDUSER_SIGNIN,),
    f.WHY_PROMPTED: (C.SIGN_IN_HISTORY,),
    f.TOTP_DIAGNOSE: (C.MEASURE_DRIFT,),
    f.TOTP_REENROL: (C.RETIRE_TOTP,),
    f.TOTP_RESYNC: (C.RESYNC_TOTP,),
    f.TOKEN_UNLOCK: (C.UNLOCK_FACTOR,),
    f.LOST_DEVICE: (C.READ_FACTORS,),
    f.REMOVE_FACTOR: (C.REMOVE_FACTOR,),
    f.RESET_MFA: (C.RESET_MFA,),
    f.ACCESS_CODE: (C.ACCESS_CODE,),
    f.APPROVALS: (),
    f.SMS: (C.READ_FACTORS, C.SEND_SMS),
    f.SMS_RESEND: (C.SEND_SMS,),
    f.SMS_DELIVERY_RECEIPTS: (C.SMS_RECEIPTS,),
}
"""The provider capabilities each desk feature rests on (none: the desk's own)."""


def gap(provider: IdentityProvider, feature: str) -> str | None:
    """Why the feature is unavailable behind this provider, or None when it is offered."""
    for capability in NEEDS[feature]:
        reason = provider.capabilities.get(capability, "the identity provider does not say")
        if reason is not None:
            return reason
    return None


def capabilities(ctx: ServiceContext) -> Capabilities:
    offered: list[str] = []
    missing: list[FeatureGap] = []
    for feature in f.ALL:
        reason = gap(ctx.provider, feature)
        if reason is None:
            offered.append(feature)
        else:
            missing.append(FeatureGap(feature=feature, reason=reason))
    return Capabilities(
        backend=BACKEND,
        version=__version__,
        demo_mode=ctx.settings.demo_mode,
        features=offered,
        provider=ctx.provider.name,
        unavailable=missing,
    )
