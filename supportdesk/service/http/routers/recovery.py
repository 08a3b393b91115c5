"""Lost phone or key: challenge a working factor, remove the lost one, reset MFA, access codes.

The order follows the article: the user tries another method; if none works,
support verifies who they are and resets MFA (or hands out a one-time access
code). The strongest identity check is a code sent to something the user
still holds, read back: the service sends it and checks the answer itself,
and only then does an action accept it (by the verification id it returns).
Every action and every refusal is audited with ticket, reason and checks;
sensitive accounts get a stored request for a lead instead of a change.

The three actions are one operation (`ops.recovery.recover`) keyed by the policy's
`Action`; each keeps its own route.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from supportdesk.api.recovery import (
    AnswerChallenge,
    ChallengeAnswered,
    ChallengeSent,
    RecoveryRequest,
    RecoveryResult,
    RemoveFactorRequest,
    SendChallenge,
)
from supportdesk.rules.policy import Action
from supportdesk.service.http.deps import Ctx, CurrentAgent, RequestId
from supportdesk.service.http.idempotency import IdempotencyKey, once, respond
from supportdesk.service.ops import challenges, recovery
from supportdesk.service.ops.common import Principal

router = APIRouter(prefix="/v1/recovery", tags=["lost phone or key"])

ACTED: dict[int | str, dict[str, Any]] = {
    202: {"model": RecoveryResult, "description": "stored for a lead's approval"}
}


@router.post("/{user_id}/challenges", response_model=ChallengeSent, status_code=201)
async def send_challenge(
    user_id: str, body: SendChallenge, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> ChallengeSent:
    """Send a code to a working factor or the e-mail on file (TOTP: the app shows one)."""
    return await challenges.send_challenge(
        ctx,
        agent,
        user_id,
        ticket_id=body.ticket_id,
        channel=body.channel,
        factor_id=body.factor_id,
        request_id=rid,
    )


@router.post("/challenges/{challenge_id}/answer", response_model=ChallengeAnswered)
async def answer_challenge(
    challenge_id: str, body: AnswerChallenge, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> ChallengeAnswered:
    """Check the code the user read back; a right answer becomes a verification id."""
    return await challenges.answer_challenge(ctx, agent, challenge_id, body.code, request_id=rid)


@router.post("/{user_id}/remove-factor", response_model=RecoveryResult, responses=ACTED)
async def remove_factor(
    user_id: str,
    body: RemoveFactorRequest,
    agent: CurrentAgent,
    ctx: Ctx,
    rid: RequestId,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Remove the lost factor while another one remains (the user signs in with that)."""
    return await _act(
        Action.REMOVE_FACTOR,
        user_id,
        body,
        body.factor_id,
        agent,
        ctx,
        rid,
        request,
        idempotency_key,
    )


@router.post("/{user_id}/reset", response_model=RecoveryResult, responses=ACTED)
async def reset_mfa(
    user_id: str,
    body: RecoveryRequest,
    agent: CurrentAgent,
    ctx: Ctx,
    rid: RequestId,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Remove every factor, require MFA setup, sign the user out everywhere."""
    return await _act(
        Action.RESET_MFA, user_id, body, None, agent, ctx, rid, request, idempotency_key
    )


@router.post("/{user_id}/access-code", response_model=RecoveryResult, responses=ACTED)
async def issue_access_code(
    user_id: str,
    body: RecoveryRequest,
    agent: CurrentAgent,
    ctx: Ctx,
    rid: RequestId,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A short-lived, single-use code for one sign-in to enrol a new method; shown once."""
    return await _act(
        Action.ISSUE_ACCESS_CODE, user_id, body, None, agent, ctx, rid, request, idempotency_key
    )


async def _act(
    action: Action,
    user_id: str,
    body: RecoveryRequest,
    factor_id: str | None,
    agent: Principal,
    ctx: Ctx,
    rid: str,
    request: Request,
    idempotency_key: str | None,
) -> Response:
    """The one recovery operation, keyed by the action, and its answer as a response."""
    paper = recovery.Paperwork(body.ticket_id, body.reason, body.checks, body.verification_ids)
    done = await recovery.recover(
        ctx,
        agent,
        action,
        user_id,
        paper,
        factor_id=factor_id,
        once=once(request, body, idempotency_key),
        request_id=rid,
    )
    return respond(done)
