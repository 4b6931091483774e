"""The ``encryption`` keys: a customer-managed key only where the registry can take one, with an expiry; refusals
name the file and the key, through the config layer and through the CLI (exit 2)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.badinput import PROJECT, BadInput, check_bad_input
from tests.conftest import REPO, decoded, stack_config
from tests.test_config import errors_of, load

CMK = {"customerManagedKey": True, "keyExpiresOn": "2027-12-31"}


def staging(**changes: Any) -> dict[str, Any]:
    config = decoded(stack_config("staging"))
    for key, value in changes.items():
        config[f"mlplatform:{key}"] = value
    return config


def dev(**changes: Any) -> dict[str, Any]:
    config = decoded(stack_config("dev"))
    for key, value in changes.items():
        config[f"mlplatform:{key}"] = value
    return config


def test_off_by_default_and_no_key_for_the_workspace():
    config = load(staging())
    assert config.encryption.customer_managed_key is False
    assert config.encryption.workspace_args() is None


def test_on_with_its_defaults():
    config = load(staging(encryption=CMK))
    assert config.encryption.workspace_args() == {"key_size": 3072, "expires_on": "2027-12-31"}
    assert load(staging(encryption={**CMK, "keySize": 4096})).encryption.key_size == 4096


def test_public_mode_cannot_take_a_key():
    assert errors_of(dev(encryption=CMK)) == [
        "mlplatform:encryption.customerManagedKey: expected false in public network mode (its container registry is Basic, "
        "and a customer-managed key needs Premium: use network.mode managed or private), found boolean true"
    ]


def test_a_key_needs_an_expiry():
    assert errors_of(staging(encryption={"customerManagedKey": True})) == [
        "mlplatform:encryption.keyExpiresOn: expected the key's expiry date YYYY-MM-DD (required with customerManagedKey true), found nothing"
    ]


def test_an_expiry_without_a_key_is_refused():
    assert errors_of(staging(encryption={"keyExpiresOn": "2027-12-31"})) == [
        'mlplatform:encryption.keyExpiresOn: expected no key expiry without customerManagedKey: true (no key is created), found string "2027-12-31"'
    ]


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"keySize": 2048}, "mlplatform:encryption.keySize"),
    ({"keyExpiresOn": "2027-02-30"}, "mlplatform:encryption.keyExpiresOn: expected a real calendar date YYYY-MM-DD"),
    ({"keyExpiresOn": "next year"}, "mlplatform:encryption.keyExpiresOn"),
    ({"customerManagedKey": "yes"}, "mlplatform:encryption.customerManagedKey"),
])
def test_bad_values_name_the_key(changes, fragment):
    errors = errors_of(staging(encryption={**CMK, **changes}))
    assert any(fragment in error for error in errors), errors


DEV = (REPO / "stacks" / "Pulumi.dev.yaml").read_text()


def test_the_cli_refuses_a_key_in_public_mode_with_exit_2(project_copy, capsys):
    row = BadInput(
        "cmk-in-public-mode", ("preview", "dev", "--program", PROJECT),
        ["stacks/Pulumi.dev.yaml: invalid stack configuration", "mlplatform:encryption.customerManagedKey: expected false in public network mode"],
        {"stacks/Pulumi.dev.yaml": DEV + "  mlplatform:encryption:\n    customerManagedKey: true\n    keyExpiresOn: \"2027-12-31\"\n"},
    )
    check_bad_input(row, project_copy, capsys)
