"""Look up GB/T 31000-2015 事件类型 (case categories) from the packaged data file.

The table lives in `datafeeds/data/categories.json` so a county can correct or extend it without code.
Rules for codes that are not in the table:

- `category(code)` and `name(code)` raise `KeyError`; `get(code)` returns None.
- `top_level(code)` returns the two-digit parent of a known code, or of an unknown four-digit subtype
  whose first two digits are a known top level ("0799" → "07"); otherwise None.
- `is_sensitive(code)` falls back to the top level for an unknown subtype (an unlisted subtype of
  婚恋家庭 is still sensitive) and is False for a code with no known top level.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

Lang = Literal["zh-CN", "zh", "en"]


@dataclass(frozen=True, slots=True)
class Category:
    """One 事件类型: two-digit top level or four-digit subtype."""

    code: str
    zh: str
    en: str
    parent: str | None
    sensitive: bool


@cache
def _table() -> dict[str, Category]:
    # Read once per process; the file is small and never changes while running.
    raw: dict[str, Any] = json.loads(
        resources.files("datafeeds").joinpath("data/categories.json").read_text(encoding="utf-8")
    )
    table: dict[str, Category] = {}
    for item in raw["categories"]:
        cat = Category(
            code=str(item["code"]),
            zh=str(item["zh"]),
            en=str(item["en"]),
            parent=item["parent"],
            sensitive=bool(item["sensitive"]),
        )
        if cat.code in table:
            raise ValueError(f"duplicate category code {cat.code} in categories.json")
        if cat.parent is not None and cat.parent not in table:
            raise ValueError(f"category {cat.code} names parent {cat.parent} before it is listed")
        table[cat.code] = cat
    return table


def category(code: str) -> Category:
    """Return the category of a code; raise KeyError for an unknown code."""
    try:
        return _table()[code]
    except KeyError:
        raise KeyError(f"unknown category code {code!r}") from None


def get(code: str) -> Category | None:
    """Return the category of a code, or None when it is unknown."""
    return _table().get(code)


def all_categories() -> tuple[Category, ...]:
    """Return every category in file order (each top level followed by its subtypes)."""
    return tuple(_table().values())


def top_levels() -> tuple[Category, ...]:
    """Return the two-digit top-level categories."""
    return tuple(c for c in _table().values() if c.parent is None)


def subtypes(code: str) -> tuple[Category, ...]:
    """Return the listed subtypes of a top-level code (empty when none or unknown)."""
    return tuple(c for c in _table().values() if c.parent == code)


def top_level(code: str) -> str | None:
    """Return the two-digit top-level code of `code`, or None when no known top level fits."""
    table = _table()
    known = table.get(code)
    if known is not None:
        return known.parent or known.code
    head = code[:2]
    if len(code) == 4 and code.isdigit() and head in table and table[head].parent is None:
        return head
    return None


def name(code: str, lang: Lang = "zh-CN") -> str:
    """Return the display name of a known code in Chinese (default) or English; KeyError if unknown."""
    cat = category(code)
    return cat.en if lang == "en" else cat.zh


def is_sensitive(code: str) -> bool:
    """Return whether cases of this code get the sensitive treatment (pins at centroids, masked text)."""
    known = _table().get(code)
    if known is not None:
        return known.sensitive
    top = top_level(code)
    return top is not None and _table()[top].sensitive
