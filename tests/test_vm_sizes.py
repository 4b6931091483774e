"""Tests for the VM size catalog: the data is hand-maintained, so its shape and the lookup behaviour are pinned."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import vm_sizes
from components.vm_sizes import UnknownVmSizeError, VmSize, catalog, known_sizes, lookup

REPO_ROOT = Path(__file__).resolve().parents[1]
CATALOG_FILE = REPO_ROOT / "components" / "data" / "vm_sizes.json"
REQUIRED_FIELDS = ("name", "family", "vcpus", "memoryGiB", "gpus", "gpuModel", "gpuMemoryGiB")

REQUIRED_GPU_SIZES = (
    "Standard_NC4as_T4_v3",
    "Standard_NC8as_T4_v3",
    "Standard_NC16as_T4_v3",
    "Standard_NC64as_T4_v3",
    "Standard_NC24ads_A100_v4",
    "Standard_NC48ads_A100_v4",
    "Standard_NC96ads_A100_v4",
    "Standard_NC40ads_H100_v5",
    "Standard_NC80adis_H100_v5",
    "Standard_ND96asr_v4",
    "Standard_ND96amsr_A100_v4",
    "Standard_ND96isr_H100_v5",
    "Standard_NV6ads_A10_v5",
    "Standard_NV12ads_A10_v5",
    "Standard_NV36ads_A10_v5",
    "Standard_NC6s_v3",
    "Standard_NC12s_v3",
    "Standard_NC24s_v3",
)
REQUIRED_CPU_SIZES = (
    "Standard_DS3_v2",
    "Standard_D4s_v5",
    "Standard_D8s_v5",
    "Standard_D16s_v5",
    "Standard_D4ds_v5",
    "Standard_E4s_v5",
    "Standard_E8s_v5",
    "Standard_E16s_v5",
    "Standard_F4s_v2",
    "Standard_F8s_v2",
    "Standard_F16s_v2",
)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(CATALOG_FILE.read_text(encoding="utf-8"))


def test_catalog_file_has_metadata(raw: dict) -> None:
    assert raw["schemaVersion"] == 1
    assert raw["retrieved"] == "2026-11"
    assert raw["source"] and all(str(url).startswith("https://learn.microsoft.com/") for url in raw["source"])
    assert isinstance(raw["sizes"], list) and raw["sizes"]


def test_every_entry_has_required_fields_with_sane_values(raw: dict) -> None:
    for entry in raw["sizes"]:
        assert set(REQUIRED_FIELDS) <= set(entry), entry
        assert isinstance(entry["name"], str) and entry["name"].startswith("Standard_"), entry
        assert isinstance(entry["family"], str) and entry["family"].lower().startswith("standard"), entry
        assert isinstance(entry["vcpus"], int) and not isinstance(entry["vcpus"], bool) and entry["vcpus"] > 0
        assert _is_number(entry["memoryGiB"]) and entry["memoryGiB"] > 0, entry
        assert _is_number(entry["gpus"]) and entry["gpus"] >= 0, entry
        if entry["gpus"] > 0:
            assert isinstance(entry["gpuModel"], str) and entry["gpuModel"], entry
            assert _is_number(entry["gpuMemoryGiB"]) and entry["gpuMemoryGiB"] > 0, entry
        else:
            assert entry["gpuModel"] is None and entry["gpuMemoryGiB"] is None, entry


def test_whole_gpu_counts_are_integers_and_fractions_are_only_partial_a10(raw: dict) -> None:
    for entry in raw["sizes"]:
        if entry["gpus"] >= 1:
            assert isinstance(entry["gpus"], int), entry
        elif entry["gpus"] > 0:
            assert "_A10_v5" in entry["name"] and entry["gpuModel"] == "NVIDIA A10", entry


def test_names_are_unique_case_insensitively(raw: dict) -> None:
    names = [entry["name"].lower() for entry in raw["sizes"]]
    assert len(names) == len(set(names))


def test_catalog_loads_and_is_keyed_by_lowercase_name() -> None:
    sizes = catalog()
    assert sizes
    for key, size in sizes.items():
        assert isinstance(size, VmSize)
        assert key == size.name.lower()


def test_catalog_is_cached_and_read_only() -> None:
    assert catalog() is catalog()
    with pytest.raises(TypeError):
        catalog()["standard_x"] = lookup("Standard_D4s_v5")  # type: ignore[index]


def test_required_sizes_are_present_in_azure_casing() -> None:
    names = set(known_sizes())
    for name in REQUIRED_GPU_SIZES:
        assert name in names and lookup(name).is_gpu, name
    for name in REQUIRED_CPU_SIZES:
        assert name in names and not lookup(name).is_gpu, name


def test_known_sizes_is_sorted_and_complete() -> None:
    names = known_sizes()
    assert names == sorted(names)
    assert len(names) == len(catalog())


def test_lookup_is_case_insensitive() -> None:
    expected = lookup("Standard_NC24ads_A100_v4")
    assert lookup("standard_nc24ads_a100_v4") is expected
    assert lookup("STANDARD_NC24ADS_A100_V4") is expected
    assert expected.name == "Standard_NC24ads_A100_v4"


@given(data=st.data())
def test_lookup_accepts_any_casing_of_a_known_size(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(known_sizes()))
    flips = data.draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    mangled = "".join(ch.swapcase() if flip else ch for ch, flip in zip(name, flips))
    assert lookup(mangled).name == name


def test_unknown_size_raises_with_suggestion() -> None:
    with pytest.raises(UnknownVmSizeError) as info:
        lookup("Standard_NC4as_T4")
    error = info.value
    assert isinstance(error, ValueError)
    assert error.value == "Standard_NC4as_T4"
    assert error.suggestions[0] == "Standard_NC4as_T4_v3"
    message = str(error)
    assert "'Standard_NC4as_T4'" in message
    assert "components/data/vm_sizes.json" in message
    assert "did you mean Standard_NC4as_T4_v3" in message


def test_unknown_size_without_close_match_has_no_suggestion() -> None:
    with pytest.raises(UnknownVmSizeError) as info:
        lookup("zzz")
    assert info.value.suggestions == ()
    assert "did you mean" not in str(info.value)


def test_lookup_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        lookup(None)  # type: ignore[arg-type]


def test_gpu_size_reports_is_gpu() -> None:
    size = lookup("Standard_NC4as_T4_v3")
    assert size.is_gpu
    assert size.family == "standardNCASv3_T4Family"
    assert (size.vcpus, size.memory_gib, size.gpus) == (4, 28, 1)
    assert size.gpu_model == "NVIDIA T4" and size.gpu_memory_gib == 16


def test_fractional_gpu_size_is_gpu() -> None:
    size = lookup("Standard_NV6ads_A10_v5")
    assert size.is_gpu and 0 < size.gpus < 1


def test_cpu_size_is_not_gpu() -> None:
    size = lookup("Standard_DS3_v2")
    assert not size.is_gpu
    assert (size.vcpus, size.memory_gib, size.gpus) == (4, 14, 0)
    assert size.gpu_model is None and size.gpu_memory_gib is None


def test_vm_size_is_frozen() -> None:
    size = lookup("Standard_D4s_v5")
    with pytest.raises(AttributeError):
        size.vcpus = 99  # type: ignore[misc]


def test_bad_catalog_entry_is_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = {"schemaVersion": 1, "sizes": [{"name": "Standard_X", "family": "f", "vcpus": 0, "memoryGiB": 1, "gpus": 0}]}
    monkeypatch.setattr(vm_sizes, "_read_catalog_text", lambda: json.dumps(bad))
    vm_sizes._load_catalog.cache_clear()
    try:
        with pytest.raises(ValueError, match="Standard_X.*vcpus"):
            catalog()
    finally:
        vm_sizes._load_catalog.cache_clear()


def test_import_is_lazy_and_standard_library_only() -> None:
    code = (
        "import sys\n"
        "import components.vm_sizes as m\n"
        "assert m._load_catalog.cache_info().currsize == 0\n"
        "assert not any(name == 'pulumi' or name.startswith('pulumi.') for name in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT, env=env)
