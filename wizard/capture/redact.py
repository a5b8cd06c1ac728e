"""Secrets out of what the capture keeps: token headers and password-like body fields."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

REDACTED = "***"

# Keystone and service tokens, HTTP credentials and session cookies.
SECRET_HEADERS = frozenset(
    {
        "x-auth-token",
        "x-subject-token",
        "x-service-token",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    }
)

# Body fields whose value is a credential: passwords, secrets, IPsec pre-shared keys, tokens.
_SECRET_FIELD = re.compile(r"pass(word|wd|phrase)|secret|^psk$|token", re.IGNORECASE)


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers as a dict, with every credential's value replaced."""
    return {name: REDACTED if name.lower() in SECRET_HEADERS else value for name, value in headers}


def redact_body(value: Any) -> Any:
    """A copy of a JSON value with the value of every password-like field replaced."""
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_FIELD.search(key) else redact_body(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_body(item) for item in value]
    return value
