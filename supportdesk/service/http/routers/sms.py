"""Branch 1, "SMS code not received": the number on file, the stated number, resends,
the delivery log and the way out to the authenticator app.

Every endpoint needs an agent, except ``POST /v1/enduser/signin/sms``: that is the end
user's own "Resend code" on the sign-in page, public like the rest of end-user sign-in
(its credential is the sign-in challenge the password step handed out).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from supportdesk.api.models import UserProfile
from supportdesk.api.sms import (
    CompareNumber,
    EndUserSmsRequest,
    EndUserSmsSent,
    NumberCheck,
    ResendCode,
    SmsDelivery,
    SmsOverview,
    SmsResent,
    SwitchToAuthenticator,
)
from supportdesk.service.http.deps import Ctx, CurrentAgent, RequestId
from supportdesk.service.ops import sms, sms_send

router = APIRouter(prefix="/v1", tags=["sms"])


@router.get("/users/{user_id}/sms", response_model=SmsOverview)
async def overview(user_id: str, _agent: CurrentAgent, ctx: Ctx) -> SmsOverview:
    """The SMS methods on file, analysed and masked, and when the next code may go."""
    return await sms.overview(ctx, user_id)


@router.post("/users/{user_id}/sms/compare", response_model=NumberCheck)
async def compare_number(
    user_id: str, body: CompareNumber, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> NumberCheck:
    """Is the number the user states the one on file? Answers without revealing it.

    National notation is read in the user's region unless the agent names another.
    Audited (it confirms digits of the number on file) and rate-limited for that reason.
    """
    return await sms.compare_number(
        ctx,
        agent,
        user_id,
        number=body.number,
        region=body.region,
        factor_id=body.factor_id,
        ticket_id=body.ticket_id,
        request_id=rid,
    )


@router.post("/users/{user_id}/sms/resend", response_model=SmsResent)
async def resend_code(
    user_id: str, body: ResendCode, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> SmsResent:
    """Text a fresh code (the last one dies); 429 with Retry-After inside the limits.

    A provider refusal is not an error of this call: the answer carries the delivery,
    marked failed with the provider's reason, for the agent to read.
    """
    return await sms_send.resend(
        ctx,
        agent,
        user_id,
        factor_id=body.factor_id,
        ticket_id=body.ticket_id,
        reason=body.reason,
        request_id=rid,
    )


@router.get("/users/{user_id}/sms/deliveries", response_model=list[SmsDelivery])
async def deliveries(
    user_id: str,
    _agent: CurrentAgent,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[SmsDelivery]:
    """Newest first, each in its current state (reading the log advances it)."""
    return await sms.deliveries(ctx, user_id, limit)


@router.post("/users/{user_id}/sms/switch-to-authenticator", response_model=UserProfile)
async def switch_to_authenticator(
    user_id: str, body: SwitchToAuthenticator, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> UserProfile:
    """The article's way out: the user sets up an authenticator app at next sign-in.

    The SMS method stays as a backup. Refused for service accounts (no interactive MFA)
    and for users who already have an authenticator app (they should choose it).
    """
    return await sms.switch_to_authenticator(
        ctx, agent, user_id, reason=body.reason, ticket_id=body.ticket_id, request_id=rid
    )


@router.post("/enduser/signin/sms", response_model=EndUserSmsSent, tags=["end-user sign-in"])
async def enduser_send_code(body: EndUserSmsRequest, ctx: Ctx, rid: RequestId) -> EndUserSmsSent:
    """Public: the user's own "Resend code", allowed by a live sign-in challenge."""
    return await sms_send.enduser_send_code(ctx, body.challenge_id, body.factor_id, request_id=rid)
