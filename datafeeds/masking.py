"""Mask personal data for display: one module, used wherever a name, phone, ID or address is shown."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

_DIGITS = re.compile(r"\d")


def mask_name(name: str) -> str:
    """Keep the family name: 张* for two characters, 张*明 for three, 欧阳** for longer; Latin names by initial."""
    name = name.strip()
    if not name:
        return ""
    if name.isascii():
        return name[0] + "*" * min(3, max(1, len(name) - 1))
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    if len(name) == 3:
        return name[0] + "*" + name[2]
    return name[:2] + "*" * (len(name) - 2)


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits of a mobile number: 138****5678."""
    digits = "".join(_DIGITS.findall(phone))
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(number: str) -> str:
    """Keep the region prefix and the last four characters of an ID number: 1101**********1234."""
    number = number.strip()
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_address(address: str, village: str | None = None) -> str:
    """Cut an address down to the village: everything after the village's name is dropped."""
    if village and village in address:
        return address[: address.index(village) + len(village)]
    for marker in ("村", "社区", "居委会"):
        if marker in address:
            return address[: address.index(marker) + len(marker)]
    return ""


# Free text (alert titles) is masked by pattern. Digits may be ASCII or full-width (an IME's 全角 mode), and
# every number is matched only as a whole run of digits, so a case number or an amount is never cut into.
_D = "[0-9\uff10-\uff19]"
_SEP = "[ \u00a0\u3000\\-\u2010-\u2015\uff0d]?"  # one space or dash, as in 138-1234-5678 or 138 1234 5678
_ID18 = f"{_D}{{6}}{_SEP}{_D}{{8}}{_SEP}{_D}{{3}}[0-9\uff10-\uff19Xx\uff38\uff58]"
_MOBILE = f"[1\uff11][3-9\uff13-\uff19]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}"
_COUNTRY = f"(?:[+\uff0b]|00)?86{_SEP}"  # +86 / 0086 / 86 before a mobile: kept, the number after it masked
_ID15 = f"{_D}{{6}}{_SEP}{_D}{{6}}{_SEP}{_D}{{3}}"
# A landline only with its area code (0 + 2–3 digits), subscriber part 7–8 digits not starting 0 or 1: a bare
# 7–8 digit number cannot be told from an amount or a count, and mask_phone would keep 7 of its digits anyway.
_LANDLINE = f"[(\uff08]?0(?:10|2{_D}|[3-9]{_D}{_D})[)\uff09]?{_SEP}[2-9]{_D}{{2,3}}{_SEP}{_D}{{4}}"
# Order matters where two could start at one place: the mobile before the 15-digit ID, so 0086 138… is a phone.
_NUMBERS = (f"(?<!{_D})(?:(?P<id18>{_ID18})|(?P<cc>{_COUNTRY})?(?P<mobile>{_MOBILE})|(?P<id15>{_ID15})"
            f"|(?P<landline>{_LANDLINE}))(?!{_D})")
_NUMBERS_ONLY = re.compile(_NUMBERS)
_HAN = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_SEPARATORS = re.compile(_SEP.rstrip("?"))


_HAN_CHAR = re.compile(_HAN)


@functools.lru_cache(maxsize=4096)
def _name_finder(name: str) -> tuple[re.Pattern[str], tuple[int, ...]] | None:
    """Return a pattern that finds a personal name in text and the places of its masked characters, or None when
    it would find too much.

    A publisher's mask (张*明) stands for the full name a title may still carry: each * is one Chinese character.
    The pattern has `.` there and the finder checks the character, because a character class of the Han ranges
    costs milliseconds to compile and a list of 3,000 cases has about as many names (masking it took 16 s).
    """
    if "*" in name:
        # 张* alone would match every 张 followed by anything, so at least two characters must be known.
        if name.isascii() or len(name) - name.count("*") < 2:
            return None
        return (re.compile("".join("." if ch == "*" else re.escape(ch) for ch in name), re.DOTALL),
                tuple(i for i, ch in enumerate(name) if ch == "*"))
    if len(name) < 2:
        return None
    if name.isascii():  # Latin names only as whole words: Li must not match inside Link
        return re.compile(f"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])"), ()
    return re.compile(re.escape(name)), ()  # Chinese has no word boundaries: a name is found wherever it occurs


def _mask_names(text: str, names: tuple[str, ...]) -> str:
    """Mask the names in one pass from the left, as one pattern of them all (longest first) would: at each place
    the longest name found there, and nothing inside a name already masked (欧阳娜娜 is 欧阳**, not 欧***)."""
    found: list[tuple[int, int]] = []  # (start, −length) of every place a name occurs, overlaps included
    for name in names:
        finder = _name_finder(name)
        if finder is None:
            continue
        pattern, masked_at = finder
        pos = 0
        while (m := pattern.search(text, pos)) is not None:
            if all(_HAN_CHAR.fullmatch(m[0][i]) for i in masked_at):
                found.append((m.start(), m.start() - m.end()))
            pos = m.start() + 1
    out: list[str] = []
    last = 0
    for at, minus_length in sorted(found):
        if at >= last:
            out += [text[last:at], mask_name(text[at:at - minus_length])]
            last = at - minus_length
    return "".join(out) + text[last:]


def _mask_match(m: re.Match[str]) -> str:
    if m["id18"] is not None:
        return mask_id_number(_SEPARATORS.sub("", m["id18"]))
    if m["mobile"] is not None:
        return (m["cc"] or "") + mask_phone(m["mobile"])
    if m["id15"] is not None:
        return mask_id_number(_SEPARATORS.sub("", m["id15"]))
    return mask_phone(m["landline"])


def mask_text(text: str, names: Iterable[str] = ()) -> str:
    """Mask the mobile and landline numbers, ID numbers and the given personal names inside free text."""
    key = tuple(sorted({n.strip() for n in names if n and n.strip()}))
    # Numbers first, then names: a name holds no digit and a masked number no letter, so neither pass can find
    # anything in what the other wrote.
    return _mask_names(_NUMBERS_ONLY.sub(_mask_match, text), key)


def mask_party(party: dict[str, Any], village: str | None = None) -> dict[str, Any]:
    """Return a party (当事人) as anyone without an unmask may see it: every personal field masked."""
    return {**party, "name": mask_name(str(party.get("name") or "")),
            "phone": mask_phone(str(party.get("phone") or "")),
            "id_number": mask_id_number(str(party.get("id_number") or "")),
            "address": mask_address(str(party.get("address") or ""), village)}


def mask_case(detail: dict[str, Any], village: str | None = None) -> dict[str, Any]:
    """Return a case's detail masked: its parties, its address to the village, and their names, phones and
    ID numbers wherever the free text (title, description, notes of its history) mentions them."""
    parties = detail.get("parties") or []
    names = [str(p.get("name") or "") for p in parties]
    return {**detail,
            "title": mask_text(detail.get("title") or "", names),
            "description": mask_text(detail.get("description") or "", names),
            "address": mask_address(detail.get("address") or "", village),
            "parties": [mask_party(p, village) for p in parties],
            "events": [{**e, "note": mask_text(e.get("note") or "", names)} for e in detail.get("events", [])]}
