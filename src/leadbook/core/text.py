"""Text as it arrives from outside (API bodies, web forms), made safe to store."""

from typing import Any


def without_nul(value: Any) -> Any:
    """Drop NUL characters from every string, dict key included: no text field can hold
    them (PostgreSQL refuses them) and they never carry meaning in a lead book."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value


def is_unicode(value: Any) -> bool:
    """Whether every string in `value` (dict keys included) can be stored: JSON may escape
    half of a surrogate pair ("\\ud83d") alone, which no database text holds."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(is_unicode(k) and is_unicode(v) for k, v in value.items())
    if isinstance(value, list):
        return all(is_unicode(v) for v in value)
    return True
