"""The GB/T 31000 category table: codes, names, parents, sensitivity and unknown-code rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from datafeeds import categories

TOP = {
    "01": "婚恋家庭", "02": "邻里", "03": "人格权", "04": "物权相关", "05": "侵权相关", "06": "合同",
    "07": "劳动人事", "08": "金融借贷", "09": "土地及资源权属", "10": "其他民商事", "11": "城乡建设发展",
    "12": "涉民政", "13": "其他行政执法", "14": "涉法涉诉", "15": "涉组织涉纪检", "16": "涉民族宗教",
    "99": "其他",
}
SUB = {
    "0102": "抚养赡养监护", "0402": "物业", "0502": "医疗损害", "0503": "交通事故", "0701": "劳动合同",
    "0702": "社保", "0901": "土地承包", "0902": "宅基地", "0903": "山林矿产", "1101": "国有土地房屋征收",
    "1102": "集体土地征用", "1103": "规划及拆违",
}


def test_the_table_holds_the_seventeen_top_levels_and_the_domain_subtypes() -> None:
    assert {c.code: c.zh for c in categories.top_levels()} == TOP
    subs = {c.code: c.zh for c in categories.all_categories() if c.parent is not None}
    assert subs == SUB
    for code in SUB:
        assert categories.category(code).parent == code[:2]
    assert [c.code for c in categories.subtypes("09")] == ["0901", "0902", "0903"]
    assert categories.subtypes("02") == ()


def test_every_entry_has_the_documented_fields_and_a_contract_valid_code() -> None:
    path = Path(categories.__file__).parent / "data" / "categories.json"
    raw = json.loads(path.read_text(encoding="utf-8"))["categories"]
    assert len(raw) == len(TOP) + len(SUB)
    for item in raw:
        assert set(item) == {"code", "zh", "en", "parent", "sensitive"}
        assert re.fullmatch(r"\d{2}(\d{2})?", item["code"])
        assert item["en"] and item["zh"]


def test_names_in_both_languages() -> None:
    assert categories.name("0902") == "宅基地"
    assert categories.name("0902", "zh-CN") == "宅基地"
    assert categories.name("0902", "en") == "Homesteads"
    assert categories.name("07", lang="en") == "Labour and personnel"


def test_family_cases_and_their_subtypes_are_sensitive_others_not() -> None:
    assert categories.is_sensitive("01")
    assert categories.is_sensitive("0102")
    assert not categories.is_sensitive("02")
    assert not categories.is_sensitive("0902")
    sensitive = {c.code for c in categories.all_categories() if c.sensitive}
    assert sensitive == {"01", "0102"}


def test_unknown_codes_follow_the_documented_rules() -> None:
    with pytest.raises(KeyError):
        categories.category("77")
    with pytest.raises(KeyError):
        categories.name("0799")
    assert categories.get("77") is None
    assert categories.get("0902") == categories.category("0902")
    # An unlisted subtype keeps its top level and, for 婚恋家庭, its sensitivity.
    assert categories.top_level("0799") == "07"
    assert categories.is_sensitive("0199")
    assert not categories.is_sensitive("0799")
    assert categories.top_level("7701") is None
    assert categories.top_level("abc") is None
    assert not categories.is_sensitive("77")


def test_top_level_of_known_codes() -> None:
    assert categories.top_level("0902") == "09"
    assert categories.top_level("09") == "09"
    assert categories.top_level("99") == "99"
