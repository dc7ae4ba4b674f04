"""Did the clinic's own mail server authenticate a reply's sender? (RFC 8601, pure)

Anyone can write `From: patient@example.com`, and anyone can write an Authentication-Results
header too. Only the receiving server's verdict counts: it adds its header above every header
the sender wrote, under its own authserv-id (EMAIL_AUTHSERV_ID), and removes forged ones that
carry that id. So only the topmost Authentication-Results header is read, and only when it is
the clinic server's; a DKIM, SPF or DMARC pass must name the From address's domain exactly.
"""

from __future__ import annotations

from collections.abc import Iterable

HEADER = "Authentication-Results"


def passed_domains(header: str, authserv_id: str) -> frozenset[str]:
    """Domains that passed DKIM (header.d/header.i), SPF (smtp.mailfrom) or DMARC (header.from)
    in one Authentication-Results value; empty unless the header is `authserv_id`'s."""
    segments = _segments(_without_comments(header))
    if not authserv_id or not segments:
        return frozenset()
    head = segments[0].split()
    if not head or _unquote(head[0]).lower() != authserv_id.lower():
        return frozenset()
    found: set[str] = set()
    for segment in segments[1:]:
        method, result, properties = _resinfo(segment)
        if result != "pass":
            continue
        if method == "dkim":
            found.update(_domain(properties.get(key, "")) for key in ("header.d", "header.i"))
        elif method == "spf":
            found.add(_domain(properties.get("smtp.mailfrom", "")))
        elif method == "dmarc":
            found.add(_domain(properties.get("header.from", "")))
    found.discard("")
    return frozenset(found)


def sender_authenticated(headers: Iterable[str], from_address: str, authserv_id: str) -> bool:
    """True when the topmost of `headers` (Authentication-Results values, top first) is the
    clinic server's and passed the From address's domain."""
    topmost = next(iter(headers), None)
    domain = _domain(from_address)
    return bool(topmost and domain and domain in passed_domains(topmost, authserv_id))


def _domain(value: str) -> str:
    return _unquote(value).rpartition("@")[2].strip().rstrip(".").lower()


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def _without_comments(text: str) -> str:
    """The value with (comments) removed, nested ones too; quoted strings kept whole."""
    out: list[str] = []
    depth = 0
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(char)
            continue
        if quoted:
            quoted = char != '"'
            out.append(char)
        elif char == '"' and depth == 0:
            quoted = True
            out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def _segments(text: str) -> list[str]:
    """Split on `;` outside quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def _resinfo(segment: str) -> tuple[str, str, dict[str, str]]:
    """`dkim=pass header.d=example.com` -> ("dkim", "pass", {"header.d": "example.com"})."""
    words = " ".join(segment.split()).replace(" =", "=").replace("= ", "=").split(" ")
    method, _, result = words[0].partition("=")
    properties: dict[str, str] = {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if sep and key.lower() not in properties:
            properties[key.lower()] = value
    return method.partition("/")[0].lower(), result.lower(), properties
