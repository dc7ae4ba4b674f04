"""Phone numbers and email addresses: normalise what staff type, mask what logs print."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# NANP numbers cannot be told apart as mobile or landline, so FIXED_LINE_OR_MOBILE passes;
# what fails is what can never take a text (toll-free, premium, pagers, short shapes).
_TEXTABLE = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
}


# Pure and costly (tens of microseconds); the same patients' numbers come back across import
# rows and replies.
@lru_cache(maxsize=4096)
def normalize_phone(raw: str, region: str = "CA") -> str:
    """Return the E.164 form of a mobile-looking number, or raise ValueError saying why."""
    text = raw.strip()
    if not text:
        raise ValueError("phone number is empty")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{raw!r} is not a phone number") from exc
    # number_type is UNKNOWN exactly when is_valid_number is false (both type the number against
    # the metadata of the region it belongs to): one lookup instead of two.
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        raise ValueError(f"{raw!r} is not a valid phone number")
    if kind not in _TEXTABLE:
        raise ValueError(f"{raw!r} does not look like a mobile number (it cannot receive texts)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A clinic number the way patients read it: national format at home, international else."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 1:
        digits = phonenumbers.national_significant_number(number)
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@lru_cache(maxsize=4096)
def normalize_email(raw: str) -> str:
    """Return the normalised address, or raise ValueError with the validator's reason."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"{raw!r} is not a valid email address: {exc}") from exc


def mask_phone(number: str) -> str:
    """Keep the last four digits, in any formatting: '+1 613-555-0124' -> '***0124'."""
    digits = re.sub(r"\D", "", number)
    return "***" + digits[-4:] if len(digits) > 6 else "***"


def mask_email(address: str) -> str:
    """'marie@example.com' -> 'm***@example.com'."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_address(address: str) -> str:
    return mask_email(address) if "@" in address else mask_phone(address)
