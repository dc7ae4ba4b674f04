"""The one signature check every Twilio webhook (status callback, inbound SMS) must pass."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator


def is_valid_twilio_request(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    """True if `signature` (X-Twilio-Signature) signs `url` + form `params` with `auth_token`.

    `url` must be the public URL configured at Twilio (scheme, host, path, query), not the
    one a reverse proxy hands us. `params` may be a multi-dict (getlist) for repeated keys.
    """
    # An empty token would accept signatures anyone can compute, so refuse outright.
    if not auth_token or not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))
