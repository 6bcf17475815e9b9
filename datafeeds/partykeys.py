"""Derive the keys that tell a case's parties apart by ID number and phone, without keeping either in clear.

The desk finds a person's other cases ("same parties") by equality of these keys in `case_party_keys`, an
indexed lookup, instead of reading the parties JSON of every case. A key is the SHA-256 hex of the kind and
the normalised number, so `138 1234 5678`, `+86 138-1234-5678` and full-width digits meet. A masked number
(`138****5678`, as the simulator and careful publishers send) gives no key: its visible digits are shared by
thousands of people, and matching on them would call strangers the same party.

A plain hash of a phone number can be reversed by trying every number (about 10^10 mobiles); the table keeps
the numbers out of sight of a casual reader and out of backups in clear, not from an attacker holding the
database, who holds the parties JSON beside it anyway.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

KINDS = ("id", "phone")
_NOT_DIGIT = re.compile(r"\D")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]")
ID_MIN = 8  # shorter than any ID a county registers (18 for a resident card, 15 for an old one, 9 for a passport)
PHONE_MIN = 7  # a landline's subscriber number alone


def normalise_id(number: str) -> str | None:
    """Return an ID number in one spelling (half-width, no spaces or dashes, upper case), or None when masked."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", number)).upper()
    if "*" in text or len(text) < ID_MIN:
        return None
    return text


def normalise_phone(phone: str) -> str | None:
    """Return a phone number as its digits without a leading +86/0086, or None when masked or too short."""
    text = unicodedata.normalize("NFKC", phone)
    if "*" in text:
        return None
    digits = _NOT_DIGIT.sub("", text)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:  # 86 before an 11-digit mobile
        digits = digits[2:]
    return digits if len(digits) >= PHONE_MIN else None


def key(kind: str, normalised: str) -> str:
    """Return the stored key of a normalised number of a kind (`id` or `phone`)."""
    return hashlib.sha256(f"{kind}:{normalised}".encode()).hexdigest()


def party_keys(parties: Iterable[Any] | None) -> set[tuple[str, str]]:
    """Return the (kind, key) pairs of a case's parties (each pair once; masked or empty numbers give none)."""
    out: set[tuple[str, str]] = set()
    for party in parties or ():
        if not isinstance(party, dict):
            continue
        for kind, field, normalise in (("id", "id_number", normalise_id), ("phone", "phone", normalise_phone)):
            value = party.get(field)
            if isinstance(value, str) and (found := normalise(value)) is not None:
                out.add((kind, key(kind, found)))
    return out


def key_rows(case_id: int, parties: Iterable[Any] | None) -> list[dict[str, Any]]:
    """Return the `case_party_keys` rows of one case."""
    return [{"case_id": case_id, "kind": kind, "key": k} for kind, k in sorted(party_keys(parties))]
