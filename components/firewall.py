"""Firewall allow-list entries in the shape each Azure service takes them (standard library only)."""

from __future__ import annotations


def storage_ip(cidr: str) -> str:
    """Storage firewall rules take single addresses without a /32 (Azure rejects /31 and /32 there)."""
    return cidr[: -len("/32")] if cidr.endswith("/32") else cidr
