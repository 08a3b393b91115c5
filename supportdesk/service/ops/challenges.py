"""Identity challenges: a code sent to something the user still holds, read back.

The strongest identity check for a lost phone or key: the service sends the code (or, for
the authenticator app, asks for the one it shows) and checks the answer itself; a right
answer becomes a verification id that a recovery action (`ops.recovery`) counts.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from supportdesk.api.recovery import ChallengeAnswered, ChallengeSent
from supportdesk.rules.codes import code_problem, normalise_code
from supportdesk.rules.policy import RefusalCode
from supportdesk.service.audit import entries as audit
from supportdesk.service.audit import record
from supportdesk.service.context import ServiceContext
from supportdesk.service.errors import Conflict, InvalidInput, NotFound, RateLimited, ServiceError
from supportdesk.service.ops.common import (
    Principal,
    factor_words,
    load_target,
    mask_email,
    mask_phone,
    refusal_error,
    ticket_problem,
)
from supportdesk.service.ops.verification import (
    CHALLENGE_ATTEMPTS,
    CHALLENGE_TTL,
    CHANNEL_CHECK,
    VERIFICATION_TTL,
)
from supportdesk.service.provider import Capability, CodeVerdict, QueuedSms, require
from supportdesk.service.security import code_digest, codes_equal, new_numeric_code
from supportdesk.service.store import challenges
from supportdesk.service.store.inbox import deliver
from supportdesk.service.store.ratelimit import Limit, take
from supportdesk.service.texts import CHALLENGE_SUBJECT, challenge_text

CHALLENGE_LIMITS = (
    Limit(1, timedelta(seconds=30), "one code every 30 seconds"),
    Limit(6, timedelta(hours=1), "six codes an hour"),
)
"""Codes sent to one user's phone or mailbox: enough for a conversation, not for a flood."""

INSTRUCTIONS = {
    "totp": "Ask the user to open the authenticator app and read you the current 6-digit code.",
    "sms": "A 6-digit code is on its way by text; ask the user to read it back to you.",
    "email": "A 6-digit code is on its way to the e-mail on file; ask the user to read it back.",
}


async def send_challenge(
    ctx: ServiceContext,
    who: Principal,
    user_id: str,
    *,
    ticket_id: str,
    channel: str,
    factor_id: str | None,
    request_id: str,
) -> ChallengeSent:
    """Send a code to a working factor or the e-mail on file (TOTP: the app shows one)."""
    now = ctx.clock.now()
    refusal: ServiceError | None = None
    sent: ChallengeSent | None = None
    queued: QueuedSms | None = None
    paper = {"user_id": user_id, "ticket_id": ticket_id}
    async with ctx.engine.begin() as conn:
        facts = await load_target(ctx, conn, user_id)
        factor = None
        destination = ""
        problem = await ticket_problem(conn, ticket_id, user_id)
        if facts.user.kind == "service":
            refusal = refusal_error(
                RefusalCode.SERVICE_ACCOUNT,
                ["A service account has no person to answer a challenge."],
            )
        elif problem is not None:
            refusal = InvalidInput(problem, field="ticket_id")
        elif channel == "email":
            destination = f"e-mail {mask_email(facts.user.email)}"
        else:
            require(
                ctx.provider, Capability.SEND_SMS if channel == "sms" else Capability.CHECK_TOTP
            )
            candidates = [f for f in facts.factors if f.type == channel]
            if factor_id is not None:
                candidates = [f for f in candidates if f.id == factor_id]
            if not candidates:
                refusal = refusal_error(
                    "not_found",
                    [f"{facts.user.name} has no working {channel} factor to challenge."],
                )
            else:
                factor = candidates[0]
                destination = factor_words(factor)
                if channel == "sms":
                    destination += f" ({mask_phone(factor.phone_e164)})"
        if refusal is None and channel != "totp":
            limited = await take(conn, f"recovery-challenge:{user_id}", now, CHALLENGE_LIMITS)
            if limited is not None:
                wait, limit = limited
                refusal = RateLimited(
                    f"Codes to this user are limited to {limit.description}: "
                    f"try again in {wait} s.",
                    retry_after_s=wait,
                )
        if refusal is not None:
            entry = audit.challenge(
                who.actor, **paper, outcome="refused", channel=channel, why=refusal.message
            )
            await record(conn, entry, at=now, request_id=request_id)
        else:
            challenge_id = secrets.token_urlsafe(16)
            handle = None
            if channel == "email":
                code = new_numeric_code()
                handle = code_digest(ctx.server_key, code)
                await deliver(
                    conn,
                    user_id=user_id,
                    channel="email",
                    recipient=facts.user.email,
                    subject=CHALLENGE_SUBJECT,
                    body=challenge_text(code),
                    now=now,
                )
            elif channel == "sms" and factor is not None:
                queued = await ctx.provider.queue_sms(conn, facts.user, factor, "challenge", now)
                handle = queued.handle
            await challenges.insert(
                conn,
                id=challenge_id,
                user_id=user_id,
                agent=who.username,
                ticket_id=ticket_id.strip(),
                channel=channel,
                factor_id=factor.id if factor else None,
                destination=destination,
                code_hash=handle,
                attempts=0,
                created_at=now,
                expires_at=now + CHALLENGE_TTL,
            )
            entry = audit.challenge(
                who.actor,
                user_id=user_id,
                ticket_id=ticket_id.strip(),
                outcome="sent",
                challenge_id=challenge_id,
                channel=channel,
                destination=destination,
            )
            await record(conn, entry, at=now, request_id=request_id)
            sent = ChallengeSent(
                id=challenge_id,
                channel=channel,  # type: ignore[arg-type]
                check=CHANNEL_CHECK[channel].value,
                destination=destination,
                instructions=INSTRUCTIONS[channel],
                expires_at=now + CHALLENGE_TTL,
            )
    if refusal is not None:
        raise refusal
    assert sent is not None
    if queued is not None:
        await _text_challenge(ctx, who, sent, queued, user_id, ticket_id, request_id)
    return sent


async def _text_challenge(
    ctx: ServiceContext,
    who: Principal,
    sent: ChallengeSent,
    queued: QueuedSms,
    user_id: str,
    ticket_id: str,
    request_id: str,
) -> None:
    """Like the SMS branch's resend: the provider is called after the commit, never
    inside a transaction; a refusal there kills the challenge, on the record."""
    now = ctx.clock.now()
    state = await ctx.provider.send_sms(queued, now)
    async with ctx.engine.begin() as conn:
        await ctx.provider.settle_sms(conn, queued, state, now)
        if not state.failed:
            if state.handle is not None:
                await challenges.update(conn, sent.id, code_hash=state.handle)
            return
        await challenges.kill(conn, sent.id, now)
        entry = audit.challenge(
            who.actor,
            user_id=user_id,
            ticket_id=ticket_id.strip(),
            outcome="failed",
            challenge_id=sent.id,
            channel="sms",
            why=state.reason,
        )
        await record(conn, entry, at=now, request_id=request_id)
    raise Conflict(f"The text could not be sent ({state.reason}): challenge another way.")


async def answer_challenge(
    ctx: ServiceContext, who: Principal, challenge_id: str, code: str, *, request_id: str
) -> ChallengeAnswered:
    """Check the code the user read back; a right answer becomes a verification id.

    A code of the wrong shape is refused before it is compared: it spends no attempt.
    """
    digits = normalise_code(code)
    now = ctx.clock.now()
    refusal: ServiceError | None = None
    answered: ChallengeAnswered | None = None
    async with ctx.engine.begin() as conn:
        row = await challenges.by_id(conn, challenge_id, lock=True)
        if row is None or row.agent != who.username:
            raise NotFound("no such challenge of yours: send a new one")
        if digits is None:
            raise InvalidInput(code_problem(code) or "type the 6-digit code", field="code")
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
        elif await _code_matches(ctx, conn, row, digits):
            outcome = "verified"
            await challenges.update(conn, challenge_id, verified_at=now, attempts=row.attempts + 1)
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
            await challenges.update(
                conn, challenge_id, attempts=attempts, dead_at=now if left <= 0 else None
            )
            refusal = InvalidInput(
                f"That code does not match; {left} attempt{'s' if left != 1 else ''} left."
                if left > 0
                else "That code does not match, and the challenge is used up: send a new one.",
                field="code",
            )
        entry = audit.challenge_answered(
            who.actor,
            user_id=row.user_id,
            ticket_id=row.ticket_id,
            outcome=outcome,
            check=check,
            challenge_id=challenge_id,
            channel=row.channel,
        )
        await record(conn, entry, at=now, request_id=request_id)
    if refusal is not None:
        raise refusal
    assert answered is not None
    return answered


async def _code_matches(ctx: ServiceContext, conn: AsyncConnection, row: Any, code: str) -> bool:
    """TOTP: the factor's current code (and it is spent); SMS and e-mail: the code we sent."""
    now = ctx.clock.now()
    if row.channel == "totp":
        found = {f.id: f for f in await ctx.provider.factors(conn, row.user_id)}
        factor = found.get(row.factor_id)
        if factor is None:
            return False
        return await ctx.provider.check_totp(conn, factor, code, now) is CodeVerdict.ACCEPTED
    stored: str | None = row.code_hash
    if stored is None:
        return False
    if row.channel == "sms":
        return await ctx.provider.check_sms_code(conn, row.factor_id, code, stored, now)
    return codes_equal(stored, code_digest(ctx.server_key, code))
