"""Azure regions and the short codes that stand for them in resource names.

Names are length-limited (a storage account allows 24 characters), so a region cannot be spelled out in a name:
it is replaced by a short code. The table is closed on purpose: an unknown or misspelt region fails loudly here,
before it can produce a name that silently differs from the one of every other stack in the same region.

Codes are lowercase alphanumerics of 2 to 5 characters, unique across the table, and never change once published:
changing one renames (replaces) every resource deployed in that region.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping

# Programmatic location name (as `az account list-locations` prints it) -> short code.
REGION_CODES: Mapping[str, str] = types.MappingProxyType(
    {
        # Europe
        "westeurope": "weu",
        "northeurope": "neu",
        "swedencentral": "sdc",
        "swedensouth": "sds",
        "uksouth": "uks",
        "ukwest": "ukw",
        "francecentral": "frc",
        "francesouth": "frs",
        "germanywestcentral": "gwc",
        "germanynorth": "gn",
        "switzerlandnorth": "szn",
        "switzerlandwest": "szw",
        "norwayeast": "nwe",
        "norwaywest": "nww",
        "polandcentral": "plc",
        "italynorth": "itn",
        "spaincentral": "spc",
        # Americas
        "eastus": "eus",
        "eastus2": "eus2",
        "westus": "wus",
        "westus2": "wus2",
        "westus3": "wus3",
        "centralus": "cus",
        "southcentralus": "scus",
        "northcentralus": "ncus",
        "westcentralus": "wcus",
        "canadacentral": "cnc",
        "canadaeast": "cne",
        "brazilsouth": "brs",
        "brazilsoutheast": "bse",
        "mexicocentral": "mxc",
        "chilecentral": "clc",
        # Asia Pacific
        "australiaeast": "ae",
        "australiasoutheast": "ase",
        "australiacentral": "acl",
        "australiacentral2": "acl2",
        "newzealandnorth": "nzn",
        "japaneast": "jpe",
        "japanwest": "jpw",
        "koreacentral": "krc",
        "koreasouth": "krs",
        "southeastasia": "sea",
        "eastasia": "ea",
        "centralindia": "inc",
        "southindia": "ins",
        "westindia": "inw",
        "jioindiawest": "jinw",
        "jioindiacentral": "jinc",
        "indonesiacentral": "idc",
        "malaysiawest": "myw",
        # Middle East and Africa
        "uaenorth": "uan",
        "uaecentral": "uac",
        "qatarcentral": "qac",
        "israelcentral": "ilc",
        "southafricanorth": "san",
        "southafricawest": "saw",
    }
)


class UnknownRegionError(ValueError):
    """Raised for a location that is not in :data:`REGION_CODES`."""


def _unknown(location: object) -> UnknownRegionError:
    """Build the error for ``location``, with a suggestion when a known region is close (typos are the usual cause)."""
    message = (
        f"unknown Azure region {location!r}: expected an Azure location name such as 'westeurope' or 'West Europe' "
        f"(one of the {len(REGION_CODES)} regions in components.regions.REGION_CODES)"
    )
    if isinstance(location, str):
        close = difflib.get_close_matches("".join(location.split()).lower(), list(REGION_CODES), n=1)
        if close:
            message += f"; did you mean {close[0]!r}?"
    return UnknownRegionError(message)


def normalize_location(location: str) -> str:
    """Return the programmatic name of ``location`` ("West Europe" -> "westeurope").

    Case and whitespace are ignored because the portal shows display names while the APIs use programmatic ones,
    and both end up in stack files.
    """
    if not isinstance(location, str):
        raise _unknown(location)
    normalized = "".join(location.split()).lower()
    if normalized not in REGION_CODES:
        raise _unknown(location)
    return normalized


def region_code(location: str) -> str:
    """Return the short code of ``location`` ("West Europe" -> "weu")."""
    return REGION_CODES[normalize_location(location)]
