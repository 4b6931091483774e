"""Catalog of Azure VM sizes for Azure ML compute clusters (AmlCompute).

A typo in a VM size only shows up when Azure rejects the cluster, minutes into a deployment. Checking names
against this catalog turns that into an immediate error with a suggestion, and gives sizing code the vCPU, memory,
GPU and quota-family facts without a call to Azure. The data lives in ``data/vm_sizes.json`` (facts and sources
there); this module is standard library only and reads the file on first use, so importing it stays cheap.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

CATALOG_PATH = "components/data/vm_sizes.json"
"""Where the catalog lives in the repository; error messages name it so readers know what to edit."""

_SCHEMA_VERSION = 1


class UnknownVmSizeError(ValueError):
    """Raised when a VM size is not in the catalog; ``suggestions`` holds the closest known names."""

    def __init__(self, value: str, suggestions: Sequence[str]) -> None:
        self.value = value
        self.suggestions: tuple[str, ...] = tuple(suggestions)
        hint = f"did you mean {_or_join(self.suggestions)}?" if self.suggestions else "see known_sizes()"
        super().__init__(f"unknown VM size {value!r} (expected a size from the catalog {CATALOG_PATH}; {hint})")


@dataclass(frozen=True)
class VmSize:
    """One VM size. Frozen so entries shared through the cached catalog cannot be changed by a caller.

    ``gpus`` is a float because NVadsA10_v5 sizes get a fraction of one GPU (1/6 is stored as 0.1667);
    ``gpu_memory_gib`` is the total for the VM. Both GPU fields are ``None`` for CPU sizes.
    """

    name: str
    family: str
    vcpus: int
    memory_gib: float
    gpus: float
    gpu_model: str | None
    gpu_memory_gib: float | None

    @property
    def is_gpu(self) -> bool:
        """True when the size has a GPU or part of one: it needs GPU quota and a GPU image."""
        return self.gpus > 0


def catalog() -> Mapping[str, VmSize]:
    """Return every known size keyed by its lowercase name (Azure treats size names case-insensitively)."""
    return _load_catalog()


def lookup(name: str) -> VmSize:
    """Return the size called ``name`` in any casing, or raise ``UnknownVmSizeError`` with close matches."""
    if not isinstance(name, str):
        raise TypeError(f"VM size must be a string, got {type(name).__name__}")
    sizes = _load_catalog()
    found = sizes.get(name.lower())
    if found is None:
        matches = difflib.get_close_matches(name.lower(), list(sizes), n=3, cutoff=0.6)
        raise UnknownVmSizeError(name, [sizes[key].name for key in matches])
    return found


def known_sizes() -> list[str]:
    """Return all size names in Azure casing, sorted, for help text and config validation messages."""
    return sorted(size.name for size in _load_catalog().values())


@functools.lru_cache(maxsize=1)
def _load_catalog() -> Mapping[str, VmSize]:
    """Read and check the JSON once; the read-only view keeps the cached data safe from callers."""
    document = json.loads(_read_catalog_text())
    if not isinstance(document, dict) or document.get("schemaVersion") != _SCHEMA_VERSION:
        raise ValueError(f"{CATALOG_PATH}: expected an object with schemaVersion {_SCHEMA_VERSION}")
    entries = document.get("sizes")
    if not isinstance(entries, list):
        raise ValueError(f"{CATALOG_PATH}: 'sizes' must be a list")
    sizes: dict[str, VmSize] = {}
    for index, entry in enumerate(entries):
        size = _parse_entry(entry, index)
        key = size.name.lower()
        if key in sizes:
            raise ValueError(f"{CATALOG_PATH}: size {size.name!r} is listed twice (names are case-insensitive)")
        sizes[key] = size
    return MappingProxyType(sizes)


def _read_catalog_text() -> str:
    """Read the catalog as package data, so it also works from an installed wheel or zip."""
    if __package__:
        return resources.files(__package__).joinpath("data").joinpath("vm_sizes.json").read_text(encoding="utf-8")
    return (Path(__file__).resolve().parent / "data" / "vm_sizes.json").read_text(encoding="utf-8")


def _parse_entry(entry: Any, index: int) -> VmSize:
    """Turn one JSON entry into a ``VmSize``, naming the entry when a field is missing or of the wrong type."""
    if not isinstance(entry, dict):
        raise ValueError(f"{CATALOG_PATH}: sizes[{index}] must be an object")
    where = f"{CATALOG_PATH}: sizes[{index}] ({entry.get('name', '?')!r})"
    name = entry.get("name")
    family = entry.get("family")
    if not isinstance(name, str) or not name or not isinstance(family, str) or not family:
        raise ValueError(f"{where}: 'name' and 'family' must be non-empty strings")
    vcpus = entry.get("vcpus")
    if not isinstance(vcpus, int) or isinstance(vcpus, bool) or vcpus <= 0:
        raise ValueError(f"{where}: 'vcpus' must be a positive integer")
    memory_gib = _number(entry.get("memoryGiB"), where, "memoryGiB")
    gpus = _number(entry.get("gpus"), where, "gpus", allow_zero=True)
    gpu_model = entry.get("gpuModel")
    gpu_memory = entry.get("gpuMemoryGiB")
    if gpus > 0:
        if not isinstance(gpu_model, str) or not gpu_model:
            raise ValueError(f"{where}: a GPU size needs 'gpuModel'")
        gpu_memory_gib: float | None = _number(gpu_memory, where, "gpuMemoryGiB")
    else:
        if gpu_model is not None or gpu_memory is not None:
            raise ValueError(f"{where}: a CPU size must have null 'gpuModel' and 'gpuMemoryGiB'")
        gpu_memory_gib = None
    return VmSize(
        name=name,
        family=family,
        vcpus=vcpus,
        memory_gib=memory_gib,
        gpus=gpus,
        gpu_model=gpu_model,
        gpu_memory_gib=gpu_memory_gib,
    )


def _number(value: Any, where: str, field: str, *, allow_zero: bool = False) -> float:
    """Check a JSON number (bools are not numbers here) and that it is positive, or non-negative if allowed."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ValueError(f"{where}: {field!r} must be a number")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{where}: {field!r} must be {'non-negative' if allow_zero else 'positive'}")
    return value


def _or_join(names: Sequence[str]) -> str:
    """Join names as 'a', 'a or b', or 'a, b or c' for a readable suggestion."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} or {names[-1]}"
