"""The floor every public IP allow-list keeps (components/firewall.py): in config validation of the dev network and the
bootstrap state backend, and end to end through the CLI (exit 2 naming the stack file and the key)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from blueprint.program.config import ConfigError, load_platform_config
from components.firewall import (
    ENTRY_RULE,
    MAX_ADDRESSES,
    PUBLIC_RULE,
    TOTAL_RULE,
    WIDTH_RULE,
    AllowListProblem,
    allow_list_problems,
    storage_ip,
)
from tests.conftest import decoded, stack_config
from tests.test_cli import blueprint

SOURCE = "stacks/Pulumi.test.yaml"


# --- The rules themselves ---


@pytest.mark.parametrize(
    "entries",
    [
        ["203.0.113.0/24"],  # the shipped placeholder: a documentation range, routed nowhere
        ["192.0.2.10", "198.51.100.0/24", "203.0.113.7/32"],
        ["20.40.0.0/16"],  # exactly the widest range
        ["20.40.0.0/17", "20.40.128.0/17"],  # two halves: one /16 in all
        ["20.40.0.0/16", "20.40.3.0/24"],  # overlaps are merged before counting
        ["8.8.8.8", "1.1.1.0/24", "52.10.20.0/23"],
    ],
)
def test_narrow_public_allow_lists_pass(entries):
    assert allow_list_problems(entries) == []


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (["0.0.0.0/0"], [AllowListProblem(0, WIDTH_RULE, "a /0 (4,294,967,296 addresses)")]),
        (["20.40.0.0/15"], [AllowListProblem(0, WIDTH_RULE, "a /15 (131,072 addresses)")]),
        (["0.0.0.0/1", "128.0.0.0/1"], [AllowListProblem(0, WIDTH_RULE, "a /1 (2,147,483,648 addresses)"),
                                       AllowListProblem(1, WIDTH_RULE, "a /1 (2,147,483,648 addresses)")]),
        (["20.40.0.0/17", "20.40.128.0/17", "20.41.0.0/24"], [AllowListProblem(None, TOTAL_RULE, "3 ranges admitting 65,792 addresses")]),
        (["10.0.0.0/8"], [AllowListProblem(0, PUBLIC_RULE, "a range in the private (RFC 1918) block 10.0.0.0/8")]),
        (["172.20.0.0/16"], [AllowListProblem(0, PUBLIC_RULE, "a range in the private (RFC 1918) block 172.16.0.0/12")]),
        (["192.168.1.0/24"], [AllowListProblem(0, PUBLIC_RULE, "a range in the private (RFC 1918) block 192.168.0.0/16")]),
        (["127.0.0.1"], [AllowListProblem(0, PUBLIC_RULE, "an address in the loopback (RFC 1122) block 127.0.0.0/8")]),
        (["169.254.0.0/16"], [AllowListProblem(0, PUBLIC_RULE, "a range in the link-local (RFC 3927) block 169.254.0.0/16")]),
        (["100.64.0.0/10"], [AllowListProblem(0, PUBLIC_RULE, "a range in the carrier-grade NAT shared space (RFC 6598) block 100.64.0.0/10")]),
        (["224.0.0.0/4"], [AllowListProblem(0, PUBLIC_RULE, "a range in the multicast (RFC 5771) block 224.0.0.0/4")]),
        (["255.255.255.255"], [AllowListProblem(0, PUBLIC_RULE, "an address in the reserved (RFC 1112) block 240.0.0.0/4")]),
        (["192.0.0.0/16"], [AllowListProblem(0, PUBLIC_RULE, "a range overlapping the IETF protocol assignments (RFC 6890) block 192.0.0.0/24")]),
        (["::/0"], [AllowListProblem(0, ENTRY_RULE, "not an IPv4 address or CIDR range")]),
        (["garbage", "203.0.113.0/33"], [AllowListProblem(0, ENTRY_RULE, "not an IPv4 address or CIDR range"),
                                         AllowListProblem(1, ENTRY_RULE, "not an IPv4 address or CIDR range")]),
    ],
    ids=["all", "slash-15", "two-halves", "three-ranges-over-a-16", "rfc1918-10", "rfc1918-172", "rfc1918-192",
         "loopback", "link-local", "cgnat", "multicast", "broadcast", "overlaps-ietf", "ipv6", "garbage"],
)
def test_wide_private_and_malformed_allow_lists_are_refused(entries, expected):
    assert allow_list_problems(entries) == expected


def test_the_total_counts_only_entries_that_pass_on_their_own():
    """An over-wide or private entry is reported once, not again in the total."""
    problems = allow_list_problems(["0.0.0.0/0", "10.0.0.0/8", "20.40.0.0/16"])
    assert [p.index for p in problems] == [0, 1]
    assert MAX_ADDRESSES == 65_536


def test_storage_rules_drop_a_slash_32():
    assert (storage_ip("203.0.113.7/32"), storage_ip("203.0.113.0/24")) == ("203.0.113.7", "203.0.113.0/24")


# --- Config validation (dev network, bootstrap state backend) ---


def errors_of(config: dict[str, Any]) -> list[str]:
    raw = {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
    with pytest.raises(ConfigError) as caught:
        load_platform_config(raw, project="mlplatform", stack="test", source=SOURCE)
    return [str(issue) for issue in caught.value.issues]


def with_ranges(stack: str, ranges: list[str]) -> dict[str, Any]:
    config = decoded(stack_config(stack))
    if stack == "bootstrap":
        config["mlplatform:stateBackend"]["network"]["allowedIpRanges"] = ranges
    else:
        config["mlplatform:network"]["allowedIpRanges"] = ranges
    return config


def test_the_dev_allow_list_keeps_the_floor():
    assert errors_of(with_ranges("dev", ["10.0.0.0/8", "20.40.0.0/17", "20.40.128.0/17", "20.41.0.0/24"])) == [
        f'mlplatform:network.allowedIpRanges[0]: expected {PUBLIC_RULE}, found string "10.0.0.0/8", a range in the '
        "private (RFC 1918) block 10.0.0.0/8",
        f"mlplatform:network.allowedIpRanges: expected {TOTAL_RULE}, found 3 ranges admitting 65,792 addresses",
    ]


def test_the_state_backend_allow_list_keeps_the_same_floor():
    assert errors_of(with_ranges("bootstrap", ["203.0.113.0/24", "0.0.0.0/0", "192.168.1.0/24"])) == [
        f'mlplatform:stateBackend.network.allowedIpRanges[1]: expected {WIDTH_RULE}, found string "0.0.0.0/0", a /0 '
        "(4,294,967,296 addresses)",
        f'mlplatform:stateBackend.network.allowedIpRanges[2]: expected {PUBLIC_RULE}, found string "192.168.1.0/24", a '
        "range in the private (RFC 1918) block 192.168.0.0/16",
    ]


# --- End to end: exit 2, the stack file and the key named, nothing previewed ---


BAD_ALLOW_LISTS = [
    (["0.0.0.0/0"], "mlplatform:network.allowedIpRanges[0]: expected a range no wider than /16"),
    (["20.40.0.0/15"], "mlplatform:network.allowedIpRanges[0]: expected a range no wider than /16"),
    (["20.40.0.0/17", "20.40.128.0/17", "20.41.0.0/24"], "mlplatform:network.allowedIpRanges: expected ranges that together admit at most 65,536 addresses"),
    (["0.0.0.0/1", "128.0.0.0/1"], "mlplatform:network.allowedIpRanges[1]: expected a range no wider than /16"),
    (["10.0.0.0/8"], "mlplatform:network.allowedIpRanges[0]: expected a public IPv4 address or range"),
    (["192.168.1.0/24"], "mlplatform:network.allowedIpRanges[0]: expected a public IPv4 address or range"),
    (["127.0.0.1"], "mlplatform:network.allowedIpRanges[0]: expected a public IPv4 address or range"),
    (["169.254.0.0/16"], "mlplatform:network.allowedIpRanges[0]: expected a public IPv4 address or range"),
    (["100.64.0.0/10"], "mlplatform:network.allowedIpRanges[0]: expected a public IPv4 address or range"),
    (["224.0.0.0/4"], "mlplatform:network.allowedIpRanges[0]: expected a public IPv4 address or range"),
    (["::/0"], 'mlplatform:network.allowedIpRanges[0]: expected an IPv4 address or CIDR range such as 203.0.113.0/24, found string "::/0"'),
    (["garbage"], 'mlplatform:network.allowedIpRanges[0]: expected an IPv4 address or CIDR range such as 203.0.113.0/24, found string "garbage"'),
]


def write_ranges(project_copy, stack: str, ranges: list[str]) -> None:
    stack_file = project_copy / "stacks" / f"Pulumi.{stack}.yaml"
    data = yaml.safe_load(stack_file.read_text())
    network = data["config"]["mlplatform:stateBackend"]["network"] if stack == "bootstrap" else data["config"]["mlplatform:network"]
    network["allowedIpRanges"] = ranges
    stack_file.write_text(yaml.safe_dump(data))


@pytest.mark.e2e
@pytest.mark.parametrize(("ranges", "message"), BAD_ALLOW_LISTS, ids=[", ".join(r) for r, _ in BAD_ALLOW_LISTS])
def test_cli_refuses_a_bad_dev_allow_list(project_copy, ranges, message):
    from tests.badinput import tree_digest

    write_ranges(project_copy, "dev", ranges)
    before = tree_digest(project_copy)
    result = blueprint("preview", "dev", cwd=project_copy)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: stacks/Pulumi.dev.yaml: invalid stack configuration")
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert tree_digest(project_copy) == before


@pytest.mark.e2e
def test_cli_refuses_a_bad_state_backend_allow_list(project_copy):
    write_ranges(project_copy, "bootstrap", ["203.0.113.0/24", "10.0.0.0/8"])
    result = blueprint("preview", "bootstrap", cwd=project_copy)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: stacks/Pulumi.bootstrap.yaml: invalid stack configuration")
    assert "mlplatform:stateBackend.network.allowedIpRanges[1]: expected a public IPv4 address or range" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
