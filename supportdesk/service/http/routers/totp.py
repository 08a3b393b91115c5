"""Branch 2 of the tree: an authenticator code that is not accepted.

Diagnose measures the user's phone clock from the codes they read out and/or
the time their phone shows, and answers with the article's verdict (see
`ops.totp`). Re-enrol retires the app's secret so the old codes stop working
and the user scans a new QR code at the next sign-in; on a sensitive account it
is filed for a team lead like the lost-phone actions.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from supportdesk.api.recovery import RecoveryResult
from supportdesk.api.token_fixes import (
    TokenUnlocked,
    TokenUnlockRequest,
    TotpResynced,
    TotpResyncRequest,
)
from supportdesk.api.totp import (
    TotpDiagnoseRequest,
    TotpDiagnosis,
    TotpReenrolment,
    TotpReenrolRequest,
)
from supportdesk.service.http.deps import Ctx, CurrentAgent, RequestId
from supportdesk.service.http.idempotency import IdempotencyKey, once, respond
from supportdesk.service.ops import token_fixes, totp

router = APIRouter(prefix="/v1/users/{user_id}/totp", tags=["authenticator"])


@router.post("/diagnose", response_model=TotpDiagnosis)
async def diagnose(
    user_id: str, body: TotpDiagnoseRequest, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> TotpDiagnosis:
    """Measure the phone's clock and say what is wrong; 429 when codes are tried too often."""
    return await totp.diagnose(
        ctx,
        agent,
        user_id,
        ticket_id=body.ticket_id,
        codes=body.codes,
        phone_time=body.phone_time,
        factor_id=body.factor_id,
        request_id=rid,
    )


@router.post(
    "/reenrol",
    response_model=TotpReenrolment,
    responses={202: {"model": RecoveryResult, "description": "stored for a lead's approval"}},
)
async def reenrol(
    user_id: str,
    body: TotpReenrolRequest,
    agent: CurrentAgent,
    ctx: Ctx,
    rid: RequestId,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Retire the app's secret: old codes fail at once, and a new QR code comes at next sign-in.

    On a sensitive account (admin, support staff, reset in the last 7 days) the request is
    stored for a team lead instead (202 with the approval); the lead's approval carries it
    out (`/v1/approvals/{id}/approve`).
    """
    done = await totp.reenrol(
        ctx,
        agent,
        user_id,
        ticket_id=body.ticket_id,
        reason=body.reason,
        checks=[c.value for c in body.verification],
        verification_ids=body.verification_ids,
        factor_id=body.factor_id,
        once=once(request, body, idempotency_key),
        request_id=rid,
    )
    return respond(done)


@router.post("/resync", response_model=TotpResynced)
async def resync(
    user_id: str,
    body: TotpResyncRequest,
    agent: CurrentAgent,
    ctx: Ctx,
    rid: RequestId,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Two consecutive codes: the provider learns the phone's clock offset (409 where it
    keeps none, with why); codes that do not follow are `resynced: false`."""
    done = await token_fixes.resync(
        ctx,
        agent,
        user_id,
        ticket_id=body.ticket_id,
        reason=body.reason,
        first_code=body.first_code,
        second_code=body.second_code,
        factor_id=body.factor_id,
        once=once(request, body, idempotency_key),
        request_id=rid,
    )
    return respond(done)


@router.post("/unlock", response_model=TokenUnlocked)
async def unlock(
    user_id: str,
    body: TokenUnlockRequest,
    agent: CurrentAgent,
    ctx: Ctx,
    rid: RequestId,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Reset the fail counter of a token it locked (409 where the provider has no such lock)."""
    done = await token_fixes.unlock(
        ctx,
        agent,
        user_id,
        ticket_id=body.ticket_id,
        reason=body.reason,
        factor_id=body.factor_id,
        once=once(request, body, idempotency_key),
        request_id=rid,
    )
    return respond(done)
