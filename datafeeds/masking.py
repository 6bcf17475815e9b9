"""Mask personal data for display: one module, used wherever a name, phone, ID or address is shown."""

from __future__ import annotations

import re

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
