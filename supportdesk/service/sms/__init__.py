"""Sending texts: one gateway interface, a simulated carrier and an HTTP provider.

The service holds one gateway in its context (``ServiceContext.sms_gateway``), chosen by
the settings; tests swap it for another.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportdesk.service.settings import ServiceSettings
from supportdesk.service.sms.gateway import (
    FINAL_STATUSES,
    DeliveryState,
    DeliveryStatus,
    OutgoingSms,
    SendReceipt,
    SmsGateway,
    SmsGatewayError,
    moves_forward,
)
from supportdesk.service.sms.simulated import SimulatedCarrier

if TYPE_CHECKING:
    from supportdesk.service.sms.http import HttpGatewayConfig, HttpSmsGateway

__all__ = [
    "FINAL_STATUSES",
    "DeliveryState",
    "DeliveryStatus",
    "GatewayConfigError",
    "HttpGatewayConfig",
    "HttpSmsGateway",
    "OutgoingSms",
    "SendReceipt",
    "SimulatedCarrier",
    "SmsGateway",
    "SmsGatewayError",
    "gateway_from_settings",
    "moves_forward",
]


def __getattr__(name: str) -> object:
    """The HTTP gateway (and httpx) load only when asked for: the simulated carrier of
    the demo and the tests does not need them, and the service starts sooner without."""
    if name in ("HttpGatewayConfig", "HttpSmsGateway"):
        from supportdesk.service.sms import http

        return getattr(http, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class GatewayConfigError(ValueError):
    """The settings ask for a gateway they do not fully describe."""


def gateway_from_settings(settings: ServiceSettings) -> SmsGateway:
    """The gateway the settings name; the HTTP one needs at least its URL."""
    if settings.sms_gateway == "simulated":
        return SimulatedCarrier()
    if not settings.sms_http_url:
        raise GatewayConfigError("sms_gateway is 'http' but sms_http_url is not set")
    from supportdesk.service.sms.http import HttpGatewayConfig, HttpSmsGateway

    password = settings.sms_http_password
    token = settings.sms_http_token
    return HttpSmsGateway(
        HttpGatewayConfig(
            url=settings.sms_http_url,
            body=settings.sms_http_body,
            sender=settings.sms_sender,
            username=settings.sms_http_username,
            password=password.get_secret_value() if password else None,
            token=token.get_secret_value() if token else None,
            to_field=settings.sms_http_to_field,
            from_field=settings.sms_http_from_field,
            text_field=settings.sms_http_text_field,
            ref_field=settings.sms_http_ref_field,
            status_field=settings.sms_http_status_field,
            status_url=settings.sms_http_status_url,
            timeout_s=settings.sms_http_timeout_s,
        )
    )
