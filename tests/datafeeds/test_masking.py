"""Masks as DOMAIN.md gives them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datafeeds.masking import mask_address, mask_id_number, mask_name, mask_phone, mask_text


@pytest.mark.parametrize(("name", "masked"), [("张伟", "张*"), ("张晓明", "张*明"), ("欧阳修远", "欧阳**"),
                                              ("王", "王"), ("", ""), ("Smith", "S***")])
def test_names(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_phone_and_id() -> None:
    assert mask_phone("138-1234-5678") == "138****5678"
    assert mask_phone("12345") == "*****"
    assert mask_id_number("110101199003071234") == "1101**********1234"
    assert mask_id_number("1234") == "****"


def test_address_stops_at_the_village() -> None:
    assert mask_address("城关镇张家村3组17号", "张家村") == "城关镇张家村"
    assert mask_address("城关镇红旗社区5栋2单元") == "城关镇红旗社区"
    assert mask_address("某街道88号") == ""


# ---- free text (alert titles) --------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "masked"), [
    ("联系电话13812345678", "联系电话138****5678"),
    ("电话138-1234-5678。", "电话138****5678。"),
    ("电话 138 1234 5678 ", "电话 138****5678 "),
    ("+86 138 1234 5678", "+86 138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("0086-13912345678", "0086-139****5678"),
    ("手机１３８１２３４５６７８", "手机１３８****５６７８"),
    ("13812345678与19987654321", "138****5678与199****4321"),
])
def test_mobile_numbers_in_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    ("身份证110101199003071234", "身份证1101**********1234"),
    ("身份证号11010119900307123X，", "身份证号1101**********123X，"),
    ("id 11010119900307123x", "id 1101**********123x"),
    ("110101 19900307 1234", "1101**********1234"),
    ("老证110101900307123", "老证1101*******7123"),
])
def test_id_numbers_in_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_landlines_with_an_area_code() -> None:
    assert mask_text("座机0731-84561234") == "座机073*****1234"
    assert mask_text("(010)62345678") == "010****5678"


@pytest.mark.parametrize("text", [
    "城关镇群体性劳资纠纷",
    "案号4399012026112600001",  # 19 digits: a case number, not a phone or ID inside it
    "ZZ20261126-0001 涉及12名务工人员, 186000元",
    "2026-11-26 09:15 拨打12345热线",
    "编号913812345678、1101011990030712345",  # a mobile or ID inside a longer run of digits is not one
    "",
])
def test_text_without_personal_data_is_untouched(text: str) -> None:
    assert mask_text(text) == text
    assert mask_text(text, ["张晓明"]) == text


def test_names_of_two_three_and_four_characters_longest_first() -> None:
    names = ["张伟", "李晓明", "欧阳", "欧阳娜娜"]
    text = "张伟与李晓明、欧阳娜娜、欧阳锋纠纷"
    assert mask_text(text, names) == "张*与李*明、欧阳**、欧*锋纠纷"
    assert mask_text(text, reversed(names)) == mask_text(text, names), "the order given does not matter"


def test_a_publishers_masked_name_still_finds_the_full_one() -> None:
    assert mask_text("张晓明等人上访", ["张*明"]) == "张*明等人上访"
    assert mask_text("欧阳娜娜上访", ["欧阳**"]) == "欧阳**上访"
    assert mask_text("张家村张三上访", ["张*"]) == "张家村张三上访", "one known character would find too much"


def test_names_that_find_too_much_are_skipped_and_latin_names_match_whole_words() -> None:
    assert mask_text("王家村", ["王", "", "  "]) == "王家村"
    assert mask_text("Li and Link", ["Li"]) == "L* and Link"
    assert mask_text("a+b aab 张(伟)", ["a+b", "(伟)"]) == "a** aab 张(*)", "names are text, not patterns"


def test_everything_at_once() -> None:
    title = "欧阳娜娜(13812345678，身份证11010119900307123X)等聚集，案号4399012026112600001"
    assert mask_text(title, ["欧阳娜娜"]) == (
        "欧阳**(138****5678，身份证1101**********123X)等聚集，案号4399012026112600001")


MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID18 = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


def _found(text: str) -> set[str]:
    return set(MOBILE.findall(text)) | set(ID18.findall(text))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"[0-9]{17}[0-9Xx]", fullmatch=True),
    st.text(alphabet="0123456789Xx +-()张晓明号，", max_size=12),
), max_size=8).map("".join))
def test_no_mobile_or_id_of_the_input_survives(text: str) -> None:
    # Runs as whole runs of digits: the same digits inside a longer run are not a phone and stay as they are.
    assert not _found(mask_text(text)) & _found(text)
    assert not _found(mask_text(text, ["张晓明"])) & _found(text)


_HAN_CLASS = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"


def _one_pattern_oracle(text: str, names: list[str]) -> str:
    """Mask names as one alternation of them all, longest first, would: the way mask_text worked before it learned
    to look for each name apart (compiling a Han character class per set of names cost 16 s a list)."""
    parts = []
    for n in sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True):
        if "*" in n:
            if len(n) - n.count("*") >= 2 and not n.isascii():
                parts.append("".join(_HAN_CLASS if ch == "*" else re.escape(ch) for ch in n))
        elif len(n) >= 2 and n.isascii():
            parts.append(f"(?<![A-Za-z0-9]){re.escape(n)}(?![A-Za-z0-9])")
        elif len(n) >= 2:
            parts.append(re.escape(n))
    if not parts:
        return text
    return re.sub("|".join(parts), lambda m: mask_name(m[0]), text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="欧阳娜张三丰*ab明", min_size=1, max_size=5), max_size=4),
       st.text(alphabet="欧阳娜张三丰ab明 ，", max_size=30))
def test_names_are_masked_as_one_pattern_of_them_all_would(names: list[str], text: str) -> None:
    assert mask_text(text, names) == _one_pattern_oracle(text, names)
