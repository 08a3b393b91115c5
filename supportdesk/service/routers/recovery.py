"""Lost phone or key: challenge a working factor, remove the lost one, reset MFA, access codes.

The order follows the article: the user tries another method; if none works,
support verifies who they are and resets MFA (or hands out a one-time access
code). The strongest identity check is a code sent to something the user
still holds, read back: the service sends it and checks the answer itself,
and only then does an action accept it (by the verification id it returns).
Every action and every refusal is audited with ticket, reason and checks;
sensitive accounts get a stored request for a lead instead of a change.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.recovery import (
    AnswerChallenge,
    ChallengeAnswered,
    ChallengeSent,
    RecoveryRequest,
    RecoveryResult,
    RemoveFactorRequest,
    SendChallenge,
)
from supportdesk.rules.policy import Action, Outcome, RefusalCode, decide
from supportdesk.service.audit import append_audit
from supportdesk.service.db.schema import factors, recovery_challenges
from supportdesk.service.deps import Ctx, CurrentAgent, Principal, RequestId
from supportdesk.service.errors import Conflict, InvalidInput, NotFound, RateLimited, ServiceError
from supportdesk.service.idempotency import Answer, IdempotencyKey, request_hash, run_once
from supportdesk.service.inbox import deliver, keeps_texts
from supportdesk.service.ratelimit import Limit, take
from supportdesk.service.recovery_actions import (
    CHALLENGE_ATTEMPTS,
    CHALLENGE_TTL,
    CHANNEL_CHECK,
    VERIFICATION_TTL,
    audit_recovery,
    carry_out,
    decision_refusal,
    factor_words,
    file_approval,
    load_target,
    mask_email,
    mask_phone,
    pending_refusal,
    refusal_error,
    resolve_verification,
    ticket_problem,
)
from supportdesk.service.security import code_digest, codes_equal, match_totp, new_numeric_code
from supportdesk.service.sms import OutgoingSms, SmsGatewayError

router = APIRouter(prefix="/v1/recovery", tags=["lost phone or key"])

CHALLENGE_LIMITS = (
    Limit(1, timedelta(seconds=30), "one code every 30 seconds"),
    Limit(6, timedelta(hours=1), "six codes an hour"),
)
"""Codes sent to one user's phone or mailbox: enough for a conversation, not for a flood."""


def challenge_text(code: str) -> str:
    """What the user receives, by text or e-mail: whom to read the code to, and to nobody else."""
    return (
        f"Alvys Support: your verification code is {code}. Read it to the support agent you "
        "are talking to. Nobody else will ever ask for it."
    )


INSTRUCTIONS = {
    "totp": "Ask the user to open the authenticator app and read you the current 6-digit code.",
    "sms": "A 6-digit code is on its way by text; ask the user to read it back to you.",
    "email": "A 6-digit code is on its way to the e-mail on file; ask the user to read it back.",
}


# -- challenges -------------------------------------------------------------------------------


@router.post("/{user_id}/challenges", response_model=ChallengeSent, status_code=201)
async def send_challenge(
    user_id: str, body: SendChallenge, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> ChallengeSent:
    """Send a code to a working factor or the e-mail on file (TOTP: the app shows one)."""
    now = ctx.clock.now()
    refusal: ServiceError | None = None
    sent: ChallengeSent | None = None
    text = phone = ""  # the message and, for SMS, the number it goes to
    async with ctx.engine.begin() as conn:
        facts = await load_target(conn, user_id)
        factor = None
        destination = ""
        problem = await ticket_problem(conn, body.ticket_id, user_id)
        if facts.user["kind"] == "service":
            refusal = refusal_error(
                RefusalCode.SERVICE_ACCOUNT,
                ["A service account has no person to answer a challenge."],
            )
        elif problem is not None:
            refusal = InvalidInput(problem, field="ticket_id")
        elif body.channel == "email":
            destination = f"e-mail {mask_email(str(facts.user['email']))}"
        else:
            candidates = [f for f in facts.factors if f["type"] == body.channel]
            if body.factor_id is not None:
                candidates = [f for f in candidates if f["id"] == body.factor_id]
            if not candidates:
                refusal = refusal_error(
                    "not_found",
                    [f"{facts.user['name']} has no working {body.channel} factor to challenge."],
                )
            else:
                factor = candidates[0]
                destination = factor_words(factor)
                if body.channel == "sms":
                    destination += f" ({mask_phone(factor['phone_e164'])})"
        if refusal is None and body.channel != "totp":
            limited = await take(conn, f"recovery-challenge:{user_id}", now, CHALLENGE_LIMITS)
            if limited is not None:
                wait, limit = limited
                refusal = RateLimited(
                    f"Codes to this user are limited to {limit.description}: "
                    f"try again in {wait} s.",
                    retry_after_s=wait,
                )
        if refusal is not None:
            await append_audit(
                conn,
                at=now,
                actor=agent.actor,
                action="recovery.challenge",
                outcome="refused",
                target_user=user_id,
                ticket_id=body.ticket_id,
                detail={"channel": body.channel, "why": refusal.message},
                request_id=rid,
            )
        else:
            challenge_id = secrets.token_urlsafe(16)
            code_hash = None
            if body.channel != "totp":
                code = new_numeric_code()
                code_hash = code_digest(ctx.server_key, code)
                text = challenge_text(code)
            if body.channel == "email":
                await deliver(
                    conn,
                    user_id=user_id,
                    channel="email",
                    recipient=str(facts.user["email"]),
                    subject="Your Alvys support verification code",
                    body=text,
                    now=now,
                )
            elif body.channel == "sms" and factor is not None:
                phone = str(factor["phone_e164"])
            await conn.execute(
                recovery_challenges.insert().values(
                    id=challenge_id,
                    user_id=user_id,
                    agent=agent.username,
                    ticket_id=body.ticket_id.strip(),
                    channel=body.channel,
                    factor_id=factor["id"] if factor else None,
                    destination=destination,
                    code_hash=code_hash,
                    attempts=0,
                    created_at=now,
                    expires_at=now + CHALLENGE_TTL,
                )
            )
            await append_audit(
                conn,
                at=now,
                actor=agent.actor,
                action="recovery.challenge",
                outcome="sent",
                target_user=user_id,
                ticket_id=body.ticket_id.strip(),
                detail={
                    "challenge_id": challenge_id,
                    "channel": body.channel,
                    "destination": destination,
                },
                request_id=rid,
            )
            sent = ChallengeSent(
                id=challenge_id,
                channel=body.channel,
                check=CHANNEL_CHECK[body.channel].value,
                destination=destination,
                instructions=INSTRUCTIONS[body.channel],
                expires_at=now + CHALLENGE_TTL,
            )
    if refusal is not None:
        raise refusal
    assert sent is not None
    if body.channel == "sms":
        # Like the SMS branch's resend: the provider is called after the commit, never
        # inside a transaction; a refusal there kills the challenge, on the record.
        try:
            await ctx.sms_gateway.send(OutgoingSms(phone, text, f"challenge-{sent.id}"), now)
        except SmsGatewayError as exc:
            async with ctx.engine.begin() as conn:
                await conn.execute(
                    recovery_challenges.update()
                    .where(recovery_challenges.c.id == sent.id)
                    .values(dead_at=now)
                )
                await append_audit(
                    conn,
                    at=now,
                    actor=agent.actor,
                    action="recovery.challenge",
                    outcome="failed",
                    target_user=user_id,
                    ticket_id=body.ticket_id.strip(),
                    detail={"challenge_id": sent.id, "channel": "sms", "why": exc.reason},
                    request_id=rid,
                )
            raise Conflict(
                f"The text could not be sent ({exc.reason}): challenge another way."
            ) from exc
        else:
            if keeps_texts(ctx.sms_gateway):  # the demo user's phone receives it
                async with ctx.engine.begin() as conn:
                    await deliver(
                        conn, user_id=user_id, channel="sms", recipient=phone, body=text, now=now
                    )
    return sent


@router.post("/challenges/{challenge_id}/answer", response_model=ChallengeAnswered)
async def answer_challenge(
    challenge_id: str, body: AnswerChallenge, agent: CurrentAgent, ctx: Ctx, rid: RequestId
) -> ChallengeAnswered:
    """Check the code the user read back; a right answer becomes a verification id."""
    now = ctx.clock.now()
    refusal: ServiceError | None = None
    answered: ChallengeAnswered | None = None
    async with ctx.engine.begin() as conn:
        row = (
            await conn.execute(
                select(recovery_challenges)
                .where(recovery_challenges.c.id == challenge_id)
                .with_for_update()
            )
        ).first()
        if row is None or row.agent != agent.username:
            raise NotFound("no such challenge of yours: send a new one")
        check = CHANNEL_CHECK[row.channel].value
        outcome = "failed"
        if row.verified_at is not None or row.dead_at is not None:
            refusal = Conflict("this challenge is finished: send a new one")
            outcome = "refused"
        elif row.expires_at <= now:
            refusal = Conflict(
                f"the code was valid for {CHALLENGE_TTL.seconds // 60} minutes and has "
                "expired: send a new one"
            )
            outcome = "refused"
        elif await _code_matches(conn, ctx.server_key, row, body.code, now):
            outcome = "verified"
            await conn.execute(
                recovery_challenges.update()
                .where(recovery_challenges.c.id == challenge_id)
                .values(verified_at=now, attempts=row.attempts + 1)
            )
            answered = ChallengeAnswered(
                id=challenge_id,
                check=check,
                channel=row.channel,
                destination=row.destination,
                verified_at=now,
                valid_until=now + VERIFICATION_TTL,
            )
        else:
            attempts = row.attempts + 1
            left = CHALLENGE_ATTEMPTS - attempts
            await conn.execute(
                recovery_challenges.update()
                .where(recovery_challenges.c.id == challenge_id)
                .values(attempts=attempts, dead_at=now if left <= 0 else None)
            )
            refusal = InvalidInput(
                f"That code does not match; {left} attempt{'s' if left != 1 else ''} left."
                if left > 0
                else "That code does not match, and the challenge is used up: send a new one.",
                field="code",
            )
        await append_audit(
            conn,
            at=now,
            actor=agent.actor,
            action="recovery.challenge.answer",
            outcome=outcome,
            target_user=row.user_id,
            ticket_id=row.ticket_id,
            verification=[check] if outcome == "verified" else [],
            detail={"challenge_id": challenge_id, "channel": row.channel},
            request_id=rid,
        )
    if refusal is not None:
        raise refusal
    assert answered is not None
    return answered


async def _code_matches(
    conn: AsyncConnection, server_key: str, row: Row[Any], code: str, now: datetime
) -> bool:
    """TOTP: the factor's current code (and it is spent); SMS and e-mail: the code we sent."""
    if row.channel == "totp":
        factor = (
            await conn.execute(
                select(factors)
                .where(factors.c.id == row.factor_id)
                .where(factors.c.removed_at.is_(None))
            )
        ).first()
        if factor is None or not factor.totp_secret:
            return False
        step = match_totp(factor.totp_secret, code, now, factor.last_totp_step)
        if step is None:
            return False
        await conn.execute(
            factors.update().where(factors.c.id == factor.id).values(last_totp_step=step)
        )
        return True
    stored: str | None = row.code_hash
    return stored is not None and codes_equal(stored, code_digest(server_key, code.strip()))


# -- actions ------------------------------------------------------------------------------------


@router.post(
    "/{user_id}/remove-factor",
    response_model=RecoveryResult,
    responses={202: {"model": RecoveryResult, "description": "stored for a lead's approval"}},
)
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


@router.post(
    "/{user_id}/reset",
    response_model=RecoveryResult,
    responses={202: {"model": RecoveryResult, "description": "stored for a lead's approval"}},
)
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


@router.post(
    "/{user_id}/access-code",
    response_model=RecoveryResult,
    responses={202: {"model": RecoveryResult, "description": "stored for a lead's approval"}},
)
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
    """Check the paperwork and the policy, then act, store a request for a lead, or refuse."""
    fingerprint = request_hash("POST", request.url.path, body)

    async def work(conn: AsyncConnection) -> Answer | ServiceError:
        now = ctx.clock.now()
        facts = await load_target(conn, user_id)
        verification = await resolve_verification(
            conn,
            agent=agent.username,
            user_id=user_id,
            attested=body.checks,
            verification_ids=body.verification_ids,
            now=now,
            removing_factor=factor_id,
        )
        decision = decide(
            action,
            agent.role,
            facts.target,
            ticket_id=body.ticket_id,
            reason=body.reason,
            checks=verification.checks,
            now=now,
        )
        ticket_issue = await ticket_problem(conn, body.ticket_id, user_id)
        refusal: ServiceError | None = None
        why = ""
        if decision.code is RefusalCode.SERVICE_ACCOUNT:
            refusal, why = decision_refusal(decision), decision.code.value
        elif ticket_issue is not None:
            refusal, why = InvalidInput(ticket_issue, field="ticket_id"), "ticket"
        elif factor_id is not None and facts.factor(factor_id) is None:
            refusal = refusal_error(
                "not_found",
                [f"{user_id} has no factor {factor_id!r} (already removed?)."],
            )
            why = "no_such_factor"
        elif verification.problems:
            refusal = InvalidInput(" ".join(verification.problems), field="verification_ids")
            why = "verification"
        elif decision.refused:
            assert decision.code is not None
            refusal, why = decision_refusal(decision), decision.code.value
        ticket_id = body.ticket_id.strip()
        reason = body.reason.strip()
        base_detail: dict[str, object] = {"verification_ids": verification.verification_ids}
        if factor_id is not None:
            base_detail["factor_id"] = factor_id
        if refusal is None and decision.outcome is Outcome.NEEDS_APPROVAL:
            waiting = await pending_refusal(conn, action, user_id, now)
            if waiting is not None:
                refusal, why = waiting, "already_pending"
        if refusal is not None:
            await audit_recovery(
                conn,
                at=now,
                actor=agent.actor,
                action=action,
                outcome="refused",
                user_id=user_id,
                ticket_id=ticket_id,
                reason=reason,
                verification=verification.names,
                detail={**base_detail, "refusal": why, "why": refusal.message},
                request_id=rid,
            )
            return refusal
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            return await file_approval(
                conn,
                action=action,
                actor=agent.actor,
                facts=facts,
                ticket_id=ticket_id,
                reason=reason,
                checks=verification.names,
                verification_ids=verification.verification_ids,
                factor_id=factor_id,
                decision=decision,
                now=now,
                request_id=rid,
                detail=base_detail,
            )
        effect = await carry_out(
            conn, ctx, action, facts, factor_id=factor_id, issued_by=agent.username, now=now
        )
        await audit_recovery(
            conn,
            at=now,
            actor=agent.actor,
            action=action,
            outcome="success",
            user_id=user_id,
            ticket_id=ticket_id,
            reason=reason,
            verification=verification.names,
            detail={**base_detail, **effect.detail()},
            request_id=rid,
        )
        result = effect.result(action, user_id)
        return Answer(result, replay_body=_without_code(result))

    return await run_once(
        ctx, agent=agent.username, key=idempotency_key, fingerprint=fingerprint, work=work
    )


def _without_code(result: RecoveryResult) -> RecoveryResult:
    """A replay never shows an access code again: it exists only as a hash."""
    if result.access_code is None:
        return result
    return result.model_copy(
        update={
            "access_code": None,
            "summary": (
                "This code was already issued and shown once; it cannot be shown again. "
                "If it was lost, issue a new one (it replaces the old)."
            ),
        }
    )
