"""Look at a raw feed message's bytes before any JSON parser does: size, nesting, NaN/Infinity, NUL.

Every check here is linear in the message and cheap for ordinary messages (a few `bytes.count` and `in`
tests); the precise work (stripping string literals so brackets and words inside text do not count) runs
only when the cheap test says a message might be hostile. A check returns `(reason, detail)` or None;
`datafeeds.contract.parse_event` turns that into a ContractError.
"""

from __future__ import annotations

import re
from itertools import accumulate

DEFAULT_MAX_BYTES = 1_048_576
"""Largest message the ingest decodes (`ZHONGSHU_FEED_MAX_BYTES`); a valid v1 message is far smaller."""

MAX_DEPTH = 16
"""Deepest nesting of arrays/objects a message may have; contract v1 needs 4 (envelope, data, parties, party)."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS_ONLY = bytes(range(256)).translate(None, b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_NON_FINITE = re.compile(rb"-?(?:NaN|Infinity)")
# `\u0000` escape in a JSON string: an odd number of backslashes before `u0000`.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _outside_strings(raw: bytes) -> bytes:
    """Return the message with every string literal emptied (`"…"` → `""`)."""
    return _STRING.sub(b'""', raw)


def check_size(raw: bytes, max_bytes: int) -> tuple[str, str] | None:
    """Say `too_large` when a message is longer than `max_bytes` (checked before anything decodes it)."""
    if len(raw) > max_bytes:
        return "too_large", f"message is {len(raw)} bytes; the limit is {max_bytes}"
    return None


def check_shape(raw: bytes, max_depth: int = MAX_DEPTH) -> tuple[str, str] | None:
    """Say `too_deep`, `not_finite` or `nul_character` for a message JSON parsers should not see.

    Nesting is measured outside string literals, so `"[[[["` in a title is text, not depth; so are the
    words NaN and Infinity. A NUL character (`\\u0000`) is refused because PostgreSQL cannot store it in
    text and the wall has no use for it.
    """
    outside: bytes | None = None
    if raw.count(b"[") + raw.count(b"{") > max_depth:
        outside = _outside_strings(raw)
        brackets = outside.translate(None, _BRACKETS_ONLY)
        if len(brackets) > max_depth:
            depth = max(accumulate(map(_STEP.__getitem__, brackets)), default=0)
            if depth > max_depth:
                return "too_deep", f"nesting depth {depth} exceeds {max_depth}"
    if b"NaN" in raw or b"Infinity" in raw:
        outside = _outside_strings(raw) if outside is None else outside
        found = _NON_FINITE.search(outside)
        if found:
            return "not_finite", f"{found.group().decode()} is not a JSON number"
    if b"\\u0000" in raw and _NUL_ESCAPE.search(raw):
        return "nul_character", "a string holds a NUL character (\\u0000)"
    return None
