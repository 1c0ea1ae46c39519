"""Scrubbing of personal data before anything reaches telemetry or logs.

Layered defence: the first rule is never to put personal data into log messages,
span attributes, routing keys or URLs. This module is the second line: it masks
digit runs that look like a 個人番号 (12 digits) or 法人番号 (13 digits), keeps only
allow-listed span attribute keys and drops exception messages (which may echo input).
"""

from __future__ import annotations

import re

MASK = "[redacted]"

# 12 or 13 consecutive digits not part of a longer number (個人番号 / 法人番号 shaped).
_ID_DIGITS = re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4,5}(?!\d)")

ALLOWED_ATTRIBUTE_PREFIXES = (
    "messaging.",
    "db.system",
    "db.name",
    "db.operation",
    "db.statement",
    "db.query.text",
    "db.collection",
    "server.",
    "network.",
    "http.method",
    "http.request.method",
    "http.response.status_code",
    "http.status_code",
    "http.route",
    "url.scheme",
    "url.template",
    "exception.type",
    "exception.escaped",
    "code.",
    "osame.",
    "otel.",
    "error.type",
)


def scrub_text(text: str) -> str:
    """Mask 個人番号/法人番号-shaped digit runs in free text."""
    return _ID_DIGITS.sub(MASK, text)


def allowed_attribute(key: str) -> bool:
    return key.startswith(ALLOWED_ATTRIBUTE_PREFIXES)


def scrub_attributes(attributes) -> dict:
    """Keep allow-listed keys; mask ID-shaped digits in string values; drop everything else."""
    out = {}
    for key, value in (attributes or {}).items():
        if not allowed_attribute(key):
            continue
        if isinstance(value, str):
            value = scrub_text(value)
        elif isinstance(value, (list, tuple)):
            value = tuple(scrub_text(v) if isinstance(v, str) else v for v in value)
        out[key] = value
    return out
