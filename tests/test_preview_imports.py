"""A preview imports the azure-native service packages its stack's resources come from, and no other.

Each azure-native package's ``__init__`` star-imports every module in it (``network``: 290 modules), so one package
too many costs a stack up to a second. Below the package the SDK's own ``__init__`` decides (importing one class
runs it), so the package is the finest grain at which a program can import only what it uses without patching the
SDK; the components import packages lazily (``from pulumi_azure_native import network`` binds the SDK's lazy
module, loaded on first use), and this test holds that.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

_LOADED = """
import json, sys
from blueprint.tools.cli import main
code = main(["preview", sys.argv[1], "--json", sys.argv[2]])
loaded = sorted({name.split(".")[1] for name in sys.modules
                 if name.startswith("pulumi_azure_native.") and name.count(".") >= 2})
sys.stderr.write("\\nLOADED " + json.dumps(loaded) + "\\n")
sys.exit(code)
"""


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_preview_loads_only_the_service_packages_of_its_resources(stack: str, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    result = subprocess.run([sys.executable, "-c", _LOADED, stack, str(plan_file)], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stderr.rsplit("LOADED ", 1)[1]))
    used = {r["type"].split(":")[1].split("/")[0] for r in json.loads(plan_file.read_text())["resources"]
            if r["type"].startswith("azure-native:")}
    assert loaded == used
    if stack == "dev":  # public network mode: no VNet, no private endpoint, so not the 290 modules of network
        assert "network" not in loaded
