"""Masks as DOMAIN.md gives them."""

from __future__ import annotations

import pytest

from datafeeds.masking import mask_address, mask_id_number, mask_name, mask_phone


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
