"""Bad inputs as a user or an attacker would try them, through the CLI: each is refused with exit 2, a message
naming the file and the key, no traceback, and no file of the project changed.

Rows run in process (``blueprint.cli.main``): every refusal here happens before a program runs.
"""

from __future__ import annotations

import pytest

from tests.badinput import PROJECT, BadInput, check_bad_input
from tests.conftest import REPO
from tests.test_pulumi_yaml import billion_laughs

DEV = (REPO / "stacks" / "Pulumi.dev.yaml").read_text()
PROD = (REPO / "stacks" / "Pulumi.prod.yaml").read_text()
PREVIEW_DEV = ("preview", "dev", "--program", PROJECT)
GREEN = ("--endpoint", "fraud", "--deployment", "green", "--model", "registry:fraud-classifier:7")
PROMOTE_PROD = ("promote", "prod", *GREEN, "--program", PROJECT)
FORK_DEV = ("fork", "dev", "fraud-dev", "--project", "fraud", "--program", PROJECT)

def dev_with(*lines: str) -> str:
    """The dev stack file with ``lines`` added at the end of its config."""
    return DEV + "".join(f"  {line}\n" for line in lines)


STACK_FILES = [
    BadInput("duplicate-key", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml:", "config.mlplatform:location: key 'mlplatform:location' given twice: here and at stacks/Pulumi.dev.yaml:5"],
             {"stacks/Pulumi.dev.yaml": dev_with("mlplatform:location: northeurope")}),
    BadInput("yes-is-not-a-boolean", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml: invalid stack configuration", "mlplatform:ci.pullRequests: expected", 'found string "yes"'],
             {"stacks/Pulumi.dev.yaml": DEV.replace("    environments: [dev]\n", "    environments: [dev]\n    pullRequests: yes\n")}),
    BadInput("unquoted-impossible-date", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml: invalid stack configuration", "mlplatform:budget.startDate", "2026-13-45"],
             {"stacks/Pulumi.dev.yaml": DEV.replace('startDate: "2026-12-01"', "startDate: 2026-13-45")}),
    BadInput("alias-bomb-2kb", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml:", "excessive aliasing"],
             {"stacks/Pulumi.dev.yaml": DEV + "".join(f"  {line}\n" for line in billion_laughs(38).splitlines())}),
    BadInput("alias-bomb-huge", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml:", "excessive aliasing"],
             {"stacks/Pulumi.dev.yaml": DEV + "".join(f"  {line}\n" for line in billion_laughs(400).splitlines())}),
    BadInput("deep-nesting", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml:", "config.mlplatform:deep", "nested more than 100 levels deep"],
             {"stacks/Pulumi.dev.yaml": dev_with("mlplatform:deep: " + "[" * 5000 + "]" * 5000)}),
    BadInput("invalid-utf8", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml:9:25: not valid UTF-8: byte 0xe9 at offset 419"],
             {"stacks/Pulumi.dev.yaml": DEV.encode().replace(b"owner: ml-platform-team", b"owner: ml-platform-t\xe9am")}),
    BadInput("bom-then-bad-value", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml: invalid stack configuration", "mlplatform:clusters[0].maxNodes: expected an integer from 1 to 100, found integer 500"],
             {"stacks/Pulumi.dev.yaml": b"\xef\xbb\xbf" + DEV.replace("maxNodes: 2", "maxNodes: 500", 1).encode()}),
    BadInput("utf16", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml: encoded as UTF-16 or UTF-32; save it as UTF-8"],
             {"stacks/Pulumi.dev.yaml": DEV.encode("utf-16")}),
    BadInput("tab-indent", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml:6:1: not valid YAML"],
             {"stacks/Pulumi.dev.yaml": DEV.replace("  mlplatform:namingPrefix", "\tmlplatform:namingPrefix")}),
    BadInput("empty-file", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml: invalid stack configuration", "mlplatform:location", "nothing (the key is required)"],
             {"stacks/Pulumi.dev.yaml": ""}),
    BadInput("list-at-top", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml: expected a mapping with a config key, found a list"],
             {"stacks/Pulumi.dev.yaml": "- config\n- mlplatform:location\n"}),
    BadInput("config-is-a-list", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml: config: expected a mapping of keys to values, found a list"],
             {"stacks/Pulumi.dev.yaml": "config:\n  - mlplatform:location: westeurope\n"}),
    BadInput("huge-file", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml: larger than 1024 KB"],
             {"stacks/Pulumi.dev.yaml": DEV + "# " + "x" * (1024 * 1024) + "\n"}),
    BadInput("two-documents", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml:", "a second YAML document"],
             {"stacks/Pulumi.dev.yaml": DEV + "---\nconfig:\n  mlplatform:location: northeurope\n"}),
    BadInput("python-tag", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml:", "config.mlplatform:namingPrefix: tag !!python/object/apply:os.system is not supported"],
             {"stacks/Pulumi.dev.yaml": DEV.replace("mlplatform:namingPrefix: mlp", "mlplatform:namingPrefix: !!python/object/apply:os.system [echo]")}),
    BadInput("bare-and-namespaced-key", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml: config: mlplatform:location and location are the same key"],
             {"stacks/Pulumi.dev.yaml": dev_with("location: northeurope")}),
    BadInput("project-file-duplicate", PREVIEW_DEV, ["Pulumi.yaml:4: name: key 'name' given twice"],
             {"Pulumi.yaml": "name: mlplatform\nruntime: python\nstackConfigDir: stacks\nname: other\n"}),
]


@pytest.mark.parametrize("row", [row.param() for row in STACK_FILES])
def test_a_bad_stack_file_is_refused_cleanly(project_copy, capsys, row):
    check_bad_input(row, project_copy, capsys)


EDITS = [
    BadInput("promote-duplicate-key", PROMOTE_PROD, ["stacks/Pulumi.prod.yaml:", "key 'mlplatform:protect' given twice: here and at stacks/Pulumi.prod.yaml:10"],
             {"stacks/Pulumi.prod.yaml": PROD + "  mlplatform:protect: false\n"}),
    BadInput("promote-duplicate-deployment-key", PROMOTE_PROD, ["config.mlplatform:endpoints[0].deployments[1].model: key 'model' given twice"],
             {"stacks/Pulumi.prod.yaml": PROD.replace("          model: registry:fraud-classifier:2\n", "          model: registry:fraud-classifier:2\n          model: registry:fraud-classifier:3\n")}),
    BadInput("promote-alias-bomb", PROMOTE_PROD, ["stacks/Pulumi.prod.yaml:", "excessive aliasing"],
             {"stacks/Pulumi.prod.yaml": PROD + "".join(f"  {line}\n" for line in billion_laughs(38).splitlines())}),
    BadInput("promote-python-tag", PROMOTE_PROD, ["stacks/Pulumi.prod.yaml:", "tag !!python/name:os.system is not supported"],
             {"stacks/Pulumi.prod.yaml": PROD.replace("mlplatform:protect: true", "mlplatform:protect: !!python/name:os.system ''")}),
    BadInput("promote-invalid-utf8", PROMOTE_PROD, ["stacks/Pulumi.prod.yaml:", "not valid UTF-8"],
             {"stacks/Pulumi.prod.yaml": PROD.encode().replace(b"owner: ml-platform-team", b"owner: \xff")}),
    BadInput("promote-deep-nesting", PROMOTE_PROD, ["stacks/Pulumi.prod.yaml:", "nested more than 100 levels deep"],
             {"stacks/Pulumi.prod.yaml": PROD + "  mlplatform:x: " + "[" * 200 + "]" * 200 + "\n"}),
    BadInput("promote-unknown-stack", ("promote", "nope", *GREEN, "--program", PROJECT), ["stacks/Pulumi.nope.yaml: no such stack file"]),
    BadInput("promote-a-directory", ("promote", "dir", *GREEN, "--program", PROJECT), ["stacks/Pulumi.dir.yaml: no such stack file"],
             {"stacks/Pulumi.dir.yaml/keep": ""}),
    BadInput("fork-duplicate-key", FORK_DEV, ["stacks/Pulumi.dev.yaml:", "given twice"],
             {"stacks/Pulumi.dev.yaml": dev_with("mlplatform:namingPrefix: other")}),
    BadInput("fork-huge-source", FORK_DEV, ["stacks/Pulumi.dev.yaml: larger than 1024 KB"],
             {"stacks/Pulumi.dev.yaml": DEV + "# " + "x" * (1024 * 1024) + "\n"}),
    BadInput("fork-alias-bomb", FORK_DEV, ["stacks/Pulumi.dev.yaml:", "excessive aliasing"],
             {"stacks/Pulumi.dev.yaml": DEV + "".join(f"  {line}\n" for line in billion_laughs(38).splitlines())}),
    BadInput("fork-yes-is-not-a-boolean", FORK_DEV, ["stacks/Pulumi.fraud-dev.yaml: invalid stack configuration", 'mlplatform:ci.pullRequests', 'found string "yes"', "(nothing written)"],
             {"stacks/Pulumi.dev.yaml": DEV.replace("    environments: [dev]\n", "    environments: [dev]\n    pullRequests: yes\n")}),
]


@pytest.mark.parametrize("row", [row.param() for row in EDITS])
def test_fork_and_promote_refuse_what_the_engine_would_not_read(project_copy, capsys, row):
    check_bad_input(row, project_copy, capsys)
    assert not (project_copy / "stacks" / "Pulumi.fraud-dev.yaml").exists()
