"""Secrets out of what the capture keeps and shows: headers, query strings and bodies.

The rule, one for every place a secret can travel:

- a header is redacted when its name is a known credential header (`SECRET_HEADERS`) or
  contains token, auth, key, secret, pass, cookie, credential, receipt or signature
  (`X-Auth-Token`, `X-Auth-Key`, `X-Storage-Token`, `X-Openstack-Auth-Receipt`, ...);
- a field (a JSON key at any depth, a query or form parameter, a `name=value` or
  `"name": value` pair in a body that does not parse) is redacted when its name, or one
  part of it (`user[password]`, `auth.token`), is secret by `_SECRET_FIELD`: pass,
  password, passwd, passphrase, pwd, secret, token, credential(s), api/private/access/
  secret/auth key, psk, auth, receipt, in any case and with `_` or `-`, e.g. `adminPass`,
  `admin_pass`, `api_key`, `private-key`;
- the value, whatever it is (a string, a number, a whole object), becomes `***`.

No Neutron field replay translates has such a name (tests/capture/test_redact.py checks
the sample clouds), so redaction never takes away what replay reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus

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
_SECRET_HEADER = re.compile(r"token|auth|key|secret|pass|cookie|credential|receipt|signature", re.IGNORECASE)

# One part of a field name whose value is a credential.
_SECRET_FIELD = re.compile(
    r"pass(word|wd|phrase)?(?![a-z])|pwd|secret|token|credentials?|receipt"
    r"|(api|private|access|secret|auth)[_-]?key|^psk$|^auth$",
    re.IGNORECASE,
)
_NAME_PARTS = re.compile(r"[\[\].:/]+")

# In text: a name (from its start only, so the scan stays linear), its separator (`=`, `:`, quotes
# around), and a value up to the next separator.
_PAIR = re.compile(
    r"""(?<![\w%.:-])(?P<name>[\w%.:-]+(?:\[[\w%.:-]*\])*)(?P<sep>["']?\s*[:=]\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"?|'[^']*'?|[^&;,\s}\]<]*)"""
)
_ELEMENT = re.compile(r"<(?P<name>[\w.:-]+)>(?P<value>[^<]*)")


def is_secret_field(name: str) -> bool:
    """Whether a field called `name` holds a credential (see the module's rule)."""
    return any(_SECRET_FIELD.search(part) for part in _NAME_PARTS.split(unquote_plus(name)) if part)


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers as a dict, with every credential's value replaced."""
    return {name: REDACTED if _is_secret_header(name) else value for name, value in headers}


def redact_body(value: Any) -> Any:
    """A copy of a JSON value with the value of every secret field replaced, at any depth."""
    if isinstance(value, dict):
        return {key: REDACTED if is_secret_field(str(key)) else redact_body(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_body(item) for item in value]
    return value


def redact_query(query: str) -> str:
    """A query string (or form-encoded body) with the value of every secret parameter replaced."""
    if not query:
        return query
    return "&".join(_redact_parameter(part) for part in query.split("&"))


def redact_text(text: str) -> str:
    """A body that does not parse as JSON (form-encoded, truncated, XML, anything) with the
    value of every `name=value`, `"name": value` and `<name>value` whose name is secret replaced."""
    text = _PAIR.sub(_redact_pair, text)
    return _ELEMENT.sub(lambda m: f"<{m['name']}>{REDACTED}" if is_secret_field(m["name"]) else m[0], text)


def redact_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A write log entry as it may be shown: headers, query and bodies redacted again, so an
    entry logged before a rule was added shows no secret either."""
    shown = dict(entry)
    if isinstance(shown.get("headers"), dict):
        shown["headers"] = redact_headers(shown["headers"].items())
    if isinstance(shown.get("query"), str):
        shown["query"] = redact_query(shown["query"])
    for key in ("body", "response"):
        if key in shown:
            shown[key] = redact_body(shown[key])
        if isinstance(shown.get(f"{key}_text"), str):
            shown[f"{key}_text"] = redact_text(shown[f"{key}_text"])
    return shown


def _is_secret_header(name: str) -> bool:
    return name.lower() in SECRET_HEADERS or _SECRET_HEADER.search(name) is not None


def _redact_parameter(part: str) -> str:
    name, equals, _ = part.partition("=")
    return f"{name}={REDACTED}" if equals and is_secret_field(name) else part


def _redact_pair(match: re.Match[str]) -> str:
    if not is_secret_field(match["name"]):
        return match[0]
    value = match["value"]
    quote = value[:1] if value[:1] in ("'", '"') else ""
    return f"{match['name']}{match['sep']}{quote}{REDACTED}{quote}"
