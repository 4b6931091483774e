"""Firewall allow-lists: the entry format each Azure service takes, and the floor every public allow-list keeps.

One set of rules (standard library only) serves config validation (``blueprint/program/config/loader.py``, for
``network.allowedIpRanges`` and ``stateBackend.network.allowedIpRanges``) and the policy pack, which checks the IP
rules a plan actually carries. An allow-list admits an organisation's egress addresses, never the Internet:

- each entry is an IPv4 address or CIDR range, no wider than a /16;
- no entry lies in a special-purpose block (private, loopback, link-local, carrier-grade NAT, multicast, reserved):
  Azure firewall IP rules match public client addresses only, and private networks come in through private
  endpoints or virtual network rules;
- all entries together, overlaps merged, admit no more addresses than one /16.

The documentation ranges of RFC 5737 (``192.0.2.0/24``, ``198.51.100.0/24``, ``203.0.113.0/24``) are accepted: the
shipped stack files use one as a placeholder to replace, and since they are never routed on the Internet a
placeholder left in place admits nobody.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

#: The widest single range, and the most addresses a whole allow-list may admit: one /16.
WIDEST_PREFIX = 16
MAX_ADDRESSES = 2 ** (32 - WIDEST_PREFIX)

#: IPv4 special-purpose blocks (IANA IPv4 Special-Purpose Address Registry, RFC 6890) that a public firewall rule
#: never matches, with what they are. The documentation ranges are deliberately absent (see the module docstring).
SPECIAL_PURPOSE_BLOCKS: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(block), what)
    for block, what in (
        ("0.0.0.0/8", "'this network' (RFC 791)"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("100.64.0.0/10", "carrier-grade NAT shared space (RFC 6598)"),
        ("127.0.0.0/8", "loopback (RFC 1122)"),
        ("169.254.0.0/16", "link-local (RFC 3927)"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("198.18.0.0/15", "benchmarking (RFC 2544)"),
        ("224.0.0.0/4", "multicast (RFC 5771)"),
        ("240.0.0.0/4", "reserved (RFC 1112)"),
    )
)

ENTRY_RULE = "an IPv4 address or CIDR range such as 203.0.113.0/24"
WIDTH_RULE = (
    f"a range no wider than /{WIDEST_PREFIX} (an allow-list admits an organisation's egress addresses, "
    "never a large part of the Internet)"
)
PUBLIC_RULE = (
    "a public IPv4 address or range (Azure firewall IP rules match public client addresses only; private networks "
    "come in through private endpoints or virtual network rules)"
)
TOTAL_RULE = (
    f"ranges that together admit at most {MAX_ADDRESSES:,} addresses (one /{WIDEST_PREFIX}), overlaps merged"
)


@dataclass(frozen=True)
class AllowListProblem:
    """One breach of the allow-list rules, worded for a config error (``expected`` / ``found``) or a policy."""

    index: int | None
    """Position of the offending entry, or ``None`` when the list as a whole breaks the rule."""
    rule: str
    """What was expected."""
    finding: str
    """What is wrong, e.g. ``"a range in the private (RFC 1918) block 10.0.0.0/8"``."""


def storage_ip(cidr: str) -> str:
    """Storage firewall rules take single addresses without a /32 (Azure rejects /31 and /32 there)."""
    return cidr[: -len("/32")] if cidr.endswith("/32") else cidr


def allow_list_problems(entries: Sequence[str]) -> list[AllowListProblem]:
    """Every breach of the allow-list rules in ``entries`` (the module docstring lists them); empty when it holds.

    Entries are checked one by one first; the total counts only the entries that pass on their own, so one
    over-wide entry is reported once.
    """
    problems: list[AllowListProblem] = []
    admitted: list[ipaddress.IPv4Network] = []
    for index, entry in enumerate(entries):
        network = _parse(entry)
        if network is None:
            problems.append(AllowListProblem(index, ENTRY_RULE, "not an IPv4 address or CIDR range"))
            continue
        block = next(((b, what) for b, what in SPECIAL_PURPOSE_BLOCKS if network.subnet_of(b)), None)
        if block is None and network.prefixlen < WIDEST_PREFIX:
            problems.append(AllowListProblem(index, WIDTH_RULE, f"a /{network.prefixlen} ({network.num_addresses:,} addresses)"))
            continue
        relation = "in"
        if block is None:
            block = next(((b, what) for b, what in SPECIAL_PURPOSE_BLOCKS if network.overlaps(b)), None)
            relation = "overlapping"
        if block is not None:
            special, what = block
            noun = "an address" if network.num_addresses == 1 else "a range"
            problems.append(AllowListProblem(index, PUBLIC_RULE, f"{noun} {relation} the {what} block {special}"))
            continue
        admitted.append(network)
    total = sum(network.num_addresses for network in ipaddress.collapse_addresses(admitted))
    if total > MAX_ADDRESSES:
        problems.append(AllowListProblem(None, TOTAL_RULE, f"{len(admitted)} ranges admitting {total:,} addresses"))
    return problems


def _parse(entry: object) -> ipaddress.IPv4Network | None:
    if not isinstance(entry, str):
        return None
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None
    return network if isinstance(network, ipaddress.IPv4Network) else None
