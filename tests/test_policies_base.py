"""The pack's shared rule for "property must be X" (``base.property_check``), which most resource policies are
declared with: how it compares, how its message quotes what it found, and what it does with a value unknown during
preview. The policies built with it are tested with their exact messages in the other test_policies_*.py files."""

from __future__ import annotations

import pytest

from tests import policy_harness  # noqa: F401 - puts the pack on sys.path

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy  # noqa: E402

from mlplatform_policies.base import property_check  # noqa: E402

MESSAGE = "Thing {found}; expected {expected}."


@pytest.mark.parametrize(
    ("expected", "value", "complies"),
    [
        ("Disabled", "disabled", True),  # enums compare case-insensitively, as Azure does
        ("Disabled", "Enabled", False),
        (True, True, True),
        (True, 1.0, False),  # a boolean rule wants a boolean
        (False, 0.0, False),
        (0, 0.0, True),  # CrossGuard hands numbers over as floats
        (0, False, False),
        (("TLS1_2", "TLS1_3"), "tls1_3", True),
        (("TLS1_2", "TLS1_3"), "TLS1_0", False),
    ],
)
def test_compares_by_kind_of_expected_value(expected, value, complies):
    check = property_check("a.b", expected, MESSAGE)
    assert (check({"a": {"b": value}}) is None) is complies


def test_the_message_quotes_what_was_found_and_what_is_expected():
    check = property_check("properties.minimumTlsVersion", ("TLS1_2", "TLS1_3"), MESSAGE, label="minimumTlsVersion")
    assert check({"properties": {"minimumTlsVersion": "TLS1_0"}}) == (
        "Thing minimumTlsVersion is 'TLS1_0'; expected 'TLS1_2' or 'TLS1_3'."
    )
    assert check({}) == "Thing minimumTlsVersion is not set; expected 'TLS1_2' or 'TLS1_3'."
    assert property_check("n", 0, MESSAGE)({"n": 3.0}) == "Thing n is 3; expected 0."


def test_an_unset_value_reads_as_told_or_complies_when_the_default_is_secure():
    said = property_check("p", "Disabled", MESSAGE, unset="not set (Azure defaults to 'Enabled')")
    assert said({}) == "Thing p is not set (Azure defaults to 'Enabled'); expected 'Disabled'."
    assert property_check("p", False, MESSAGE, unset_complies=True)({}) is None
    assert property_check("p", False, MESSAGE, unset_complies=True)({"p": True}) == "Thing p is true; expected false."


def test_only_if_narrows_the_rule_to_some_resources():
    check = property_check("p", True, MESSAGE, only_if=lambda props: props.get("kind") == "cluster")
    assert check({"kind": "instance", "p": False}) is None
    assert check({"kind": "cluster", "p": False}) == "Thing p is false; expected true."


def test_a_value_unknown_during_preview_stops_the_check_unless_it_violates():
    props = unknown_checking_proxy({"p": UNKNOWN_STRING_VALUE})
    with pytest.raises(UnknownValueError):  # the engine reports that the policy cannot run during preview
        property_check("p", True, MESSAGE)(props)
    assert property_check("p", True, MESSAGE, unknown_violates=True)(props) == "Thing p is <unknown>; expected true."
