"""Region table: short, unique, stable codes, and forgiving but strict lookups."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.regions import REGION_CODES, UnknownRegionError, normalize_location, region_code

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True)

MOST_USED = (
    "westeurope northeurope swedencentral uksouth francecentral germanywestcentral switzerlandnorth norwayeast "
    "eastus eastus2 westus westus2 westus3 centralus southcentralus northcentralus canadacentral brazilsouth "
    "australiaeast japaneast koreacentral southeastasia eastasia centralindia uaenorth southafricanorth "
    "polandcentral italynorth spaincentral"
).split()


def test_table_covers_the_most_used_regions() -> None:
    assert len(REGION_CODES) >= 30
    assert set(MOST_USED) <= set(REGION_CODES)


def test_codes_are_unique() -> None:
    codes = list(REGION_CODES.values())
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    assert duplicates == []


def test_codes_are_short_lowercase_alphanumerics() -> None:
    bad = {name: code for name, code in REGION_CODES.items() if not re.fullmatch("[a-z0-9]{2,5}", code)}
    assert bad == {}


def test_keys_are_programmatic_location_names() -> None:
    assert all(re.fullmatch("[a-z0-9]+", name) for name in REGION_CODES)


@pytest.mark.parametrize(
    ("location", "code"),
    [
        ("westeurope", "weu"),
        ("eastus2", "eus2"),
        ("swedencentral", "sdc"),
        ("northeurope", "neu"),
        ("uksouth", "uks"),
        ("eastus", "eus"),
        ("westus3", "wus3"),
        ("australiaeast", "ae"),
    ],
)
def test_known_codes_are_stable(location: str, code: str) -> None:
    # Codes are baked into deployed names: changing one would replace resources.
    assert region_code(location) == code


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("West Europe", "westeurope"),
        ("WESTEUROPE", "westeurope"),
        ("  west   europe ", "westeurope"),
        ("West US 2", "westus2"),
        ("Sweden\tCentral", "swedencentral"),
    ],
)
def test_lookups_ignore_case_and_whitespace(location: str, expected: str) -> None:
    assert normalize_location(location) == expected
    assert region_code(location) == REGION_CODES[expected]


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        REGION_CODES["marsnorth"] = "mrs"  # type: ignore[index]


@pytest.mark.parametrize("location", ["marsnorth", "", "   ", "west-europe", "weu"])
def test_unknown_region_is_rejected_with_a_clear_message(location: str) -> None:
    for lookup in (region_code, normalize_location):
        with pytest.raises(UnknownRegionError) as caught:
            lookup(location)
        assert repr(location) in str(caught.value)
        assert "expected an Azure location name" in str(caught.value)


def test_unknown_region_error_is_a_value_error_and_suggests_a_close_match() -> None:
    with pytest.raises(ValueError, match="did you mean 'westeurope'"):
        region_code("West Europ")


def test_non_string_location_is_rejected() -> None:
    with pytest.raises(UnknownRegionError):
        region_code(None)  # type: ignore[arg-type]


@PROPERTY
@given(
    location=st.sampled_from(sorted(REGION_CODES)),
    upper=st.integers(min_value=0, max_value=2**32),
    gaps=st.integers(min_value=0, max_value=4**32),
)
def test_any_casing_and_spacing_gives_the_same_code(location: str, upper: int, gaps: int) -> None:
    # Bit i of ``upper`` uppercases character i; base-4 digit i of ``gaps`` picks the whitespace after it.
    spelled = "".join(
        (char.upper() if upper >> index & 1 else char) + ("", " ", "  ", "\t")[gaps >> 2 * index & 3]
        for index, char in enumerate(location)
    )
    assert region_code(spelled) == REGION_CODES[location]
    assert normalize_location(spelled) == location
