"""Why a message did not reach the worker, as a committee can read it (pure).

A record that ends ``failed``, ``undelivered`` or ``undeliverable`` holds a code: intake's own
(``channel_unconfigured``, ``no_contact``, ...) or the provider's (Twilio's ``21610``, WeChat's
``43004``, Alibaba's ``isv.MOBILE_NUMBER_ILLEGAL``). :func:`reason_of` reads it, with the provider
that gave it (a number means one thing from Twilio and another from WeChat), as one of the
contract's :data:`~shared.contracts.DeliveryReason`: a closed set the router words for the
committee. Only codes are read, never the provider's message text, which may quote the number.

A code this module does not know still gives a reason from the state: a failure is the provider's
refusal, an undelivered message one the carrier could not hand over.
"""

from __future__ import annotations

import re
from typing import Any

from shared.contracts import DeliveryReason, DeliveryState

# Intake's own codes, whichever provider (or none) the record names.
_OWN: dict[str, DeliveryReason] = {
    "channel_unconfigured": "channel_unconfigured",
    "unsupported_channel": "channel_unconfigured",
    "no_sender_number": "channel_unconfigured",  # no number of ours for the worker's country
    "no_sms_template": "channel_unconfigured",  # no approved template for this kind of message
    "no_code": "channel_unconfigured",  # the code template's wording has no place for the code
    "no_contact": "no_contact",
    "contact_withdrawn": "contact_withdrawn",
    "expired": "expired",
    "unsupported_address": "number_invalid",
    "unseal_failed": "system_error",
    "no_case_code": "system_error",
}

# The providers' codes, written with ``_`` for what is not a letter or digit (as the delivery
# reports' codes are stored: ``isv.X`` -> ``isv_X``).
_PROVIDERS: dict[str, dict[str, DeliveryReason]] = {
    # Twilio's error dictionary: refusals of the request, and the carriers' reports.
    "twilio": {
        "21610": "opted_out",  # the number sent STOP
        "30004": "opted_out",  # blocked by the recipient or their carrier
        "21211": "number_invalid",
        "21217": "number_invalid",
        "21614": "number_invalid",  # not a mobile number
        "30005": "number_invalid",  # unknown destination handset
        "30006": "number_invalid",  # a landline, or a carrier that cannot take SMS
        "30007": "content_refused",  # carrier filtering
        "30003": "unreachable",  # the handset is off or out of reach
    },
    "aliyun": {
        "isv_MOBILE_NUMBER_ILLEGAL": "number_invalid",
        "isv_DOMESTIC_NUMBER_NOT_SUPPORTED": "number_invalid",
        "isv_SMS_CONTENT_ILLEGAL": "content_refused",
        "isv_BLACK_KEY_CONTROL_LIMIT": "content_refused",
        "isv_PARAM_NOT_SUPPORT_URL": "content_refused",
    },
    "tencent": {
        "FailedOperation_PhoneNumberInBlacklist": "opted_out",
        "InvalidParameterValue_IncorrectPhoneNumber": "number_invalid",
        "FailedOperation_ContainSensitiveWord": "content_refused",
    },
    "wechat": {
        "43004": "opted_out",  # the worker no longer follows the account
        "43101": "opted_out",  # the worker refused subscription messages
        "40003": "number_invalid",  # not an OpenID of this account
        "45002": "content_refused",  # the text is too long
    },
}
_BY_STATE: dict[str, DeliveryReason] = {"failed": "provider_refused", "undelivered": "unreachable"}
_NOT_CODE = re.compile(r"[^A-Za-z0-9_]")


def reason_of(state: DeliveryState, code: Any, provider: Any = None) -> DeliveryReason | None:
    """The reason a message in ``state`` did not reach the worker; None for one on its way or there."""
    if state not in ("failed", "undelivered", "undeliverable"):
        return None
    if isinstance(code, str) and code:
        known = _OWN.get(code)
        if known is None and isinstance(provider, str):
            known = _PROVIDERS.get(provider, {}).get(_NOT_CODE.sub("_", code.strip()))
        if known is not None:
            return known
    return _BY_STATE.get(state)
