"""The privacyIDEA provider's pieces that need no live server: what its refusals become at
the desk, how a token reads as a factor, the words for a stored drift and a locked token,
and that the built-in provider declares the lock and resync absent with its reasons."""

from __future__ import annotations

from supportdesk.api import features
from supportdesk.rules.fail_counter import locked_verdict
from supportdesk.service.errors import Conflict, Forbidden, NotFound
from supportdesk.service.ops.capabilities import gap
from supportdesk.service.ops.token_fixes import drift_phrase
from supportdesk.service.provider import receipts
from supportdesk.service.provider.builtin import CAPABILITIES as BUILTIN
from supportdesk.service.provider.interface import Capability
from supportdesk.service.provider.privacyidea import (
    PiNotFound,
    PiPolicyDenied,
    PiRefused,
    PiToken,
    PiUnreachable,
)
from supportdesk.service.provider.privacyidea.capabilities import CAPABILITIES
from supportdesk.service.provider.privacyidea.directory import desk_id
from supportdesk.service.provider.privacyidea.failures import (
    ProviderUnavailable,
    desk_error,
)
from supportdesk.service.provider.privacyidea.mapping import factor_record, shown


def token(**values: object) -> PiToken:
    row = {
        "serial": "TOTP-1",
        "tokentype": "totp",
        "active": True,
        "revoked": False,
        "locked": False,
        "failcount": 0,
        "maxfail": 10,
        "info": {},
        **values,
    }
    return PiToken.from_api(row)


def test_privacyideas_refusals_become_the_desks_errors_with_its_reason() -> None:
    policy = desk_error(PiPolicyDenied("not allowed", code=303), "delete token T")
    assert isinstance(policy, Forbidden) and policy.code == "provider_policy"
    assert "admin policy" in policy.message
    refused = desk_error(PiRefused("no"), "resync token T")
    assert (
        isinstance(refused, Conflict) and "privacyIDEA refused to resync token T" in refused.message
    )
    assert isinstance(desk_error(PiNotFound("gone"), "x"), NotFound)
    down = desk_error(PiUnreachable("connection refused"), "x")
    assert isinstance(down, ProviderUnavailable) and down.status == 503


def test_a_token_reads_as_a_factor_with_its_lock_and_no_secret() -> None:
    locked = token(failcount=10, info={"timeShift": "420.0", "otpkey": "SEED"})
    record = factor_record(locked, "pi-1", None)
    assert (record.locked, record.fail_count, record.max_fail) == (True, 10, 10)
    assert record.clock_offset_s == 420.0 and "SEED" not in repr(record)
    assert not shown(token(active=False))  # disabled (e.g. reported lost)
    assert not shown(token(tokentype="pw"))  # a lost token's replacement
    assert not shown(token(info={"lost_token_for": "TOTP-0"}))
    assert factor_record(token(tokentype="webauthn"), "pi-1", None).type == "security_key"


def test_desk_ids_are_short_stable_and_tell_realms_apart() -> None:
    first = desk_id("ray.castillo", "carriers")
    assert first == desk_id("ray.castillo", "carriers") and len(first) <= 16
    assert first != desk_id("ray.castillo", "staff")


def test_the_drift_is_said_to_the_step_and_the_lock_before_the_clock() -> None:
    assert drift_phrase(429.7) == "The phone's clock runs about 7 min fast."
    assert drift_phrase(-95.0) == "The phone's clock runs about 1 min 30 s slow."
    assert "right" in drift_phrase(12.0)
    verdict = locked_verdict(10, 10)
    assert verdict.kind == "fail_counter_locked" and "10 wrong codes" in verdict.headline
    assert verdict.steps[0].startswith("Reset the fail counter")


def test_each_provider_says_why_it_lacks_what_it_lacks() -> None:
    class Pi:
        name = "privacyidea"
        capabilities = CAPABILITIES

    class Builtin:
        name = "builtin"
        capabilities = BUILTIN

    assert gap(Pi(), features.TOKEN_UNLOCK) is None  # type: ignore[arg-type]
    assert "delivery receipts" in str(gap(Pi(), features.SMS_DELIVERY_RECEIPTS))  # type: ignore[arg-type]
    assert "never locks a factor" in str(gap(Builtin(), features.TOKEN_UNLOCK))  # type: ignore[arg-type]
    assert BUILTIN[Capability.UNLOCK_FACTOR] is not None


def test_receipts_are_collected_only_where_an_operation_asks() -> None:
    receipts.note(serial="lost")  # nobody collecting: dropped, no error
    with receipts.collecting() as seen:
        receipts.note(serial="TOTP-1", audit_row=7)
        receipts.say("privacyIDEA did it.")
    assert seen.records == [{"serial": "TOTP-1", "audit_row": 7}]
    assert seen.words == ["privacyIDEA did it."]
