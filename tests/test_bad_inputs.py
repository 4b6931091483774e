"""Bad inputs as a user or an attacker would try them, through the CLI: each is refused with exit 2 (1 for a program
that fails), a message naming the file and the key (or the path), no traceback, and no file of the project changed.

Rows run in process (``blueprint.tools.cli.main``): every refusal here happens before a program runs, or in the program
itself. tests/test_termination.py covers what needs a process of its own (signals, pipes).
"""

from __future__ import annotations

from pathlib import Path

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

#: A program that fails loudly if it runs: an output path must be refused before anything runs.
TRAP = {"__main__.py": "raise RuntimeError('the program ran: the output path was checked too late')\n"}


def dev_with(*lines: str) -> str:
    """The dev stack file with ``lines`` added at the end of its config."""
    return DEV + "".join(f"  {line}\n" for line in lines)


STACK_FILES = [
    BadInput("duplicate-key", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml:", "config.mlplatform:location: key 'mlplatform:location' given twice: here and at stacks/Pulumi.dev.yaml:5"],
             {"stacks/Pulumi.dev.yaml": dev_with("mlplatform:location: northeurope")}),
    BadInput("yes-is-not-a-boolean", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml: invalid stack configuration", "mlplatform:protect: expected", 'found string "yes"'],
             {"stacks/Pulumi.dev.yaml": DEV.replace("  mlplatform:namingPrefix: mlp\n", "  mlplatform:namingPrefix: mlp\n  mlplatform:protect: yes\n")}),
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
    BadInput("integer-of-5000-digits", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml:23: config.mlplatform:clusters[0].maxNodes: an integer too large to read (5,000 characters"],
             {"stacks/Pulumi.dev.yaml": DEV.replace("maxNodes: 2", "maxNodes: " + "1" * 5000, 1)}),
    BadInput("hex-integer-too-large-to-print", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml:23: config.mlplatform:clusters[0].maxNodes: an integer too large to read"],
             {"stacks/Pulumi.dev.yaml": DEV.replace("maxNodes: 2", "maxNodes: 0x" + "f" * 5000, 1)}),
    BadInput("project-level-config", PREVIEW_DEV, ["Pulumi.yaml: config: project-level config is not read by this project's tools; put the keys in the stack files"],
             {"Pulumi.yaml": "name: mlplatform\nruntime: python\nstackConfigDir: stacks\nconfig:\n  mlplatform:location: northeurope\n"}),
    BadInput("stack-config-dir-a-list", PREVIEW_DEV, ['Pulumi.yaml: stackConfigDir: expected a directory path (a string), found list ["stacks"]'],
             {"Pulumi.yaml": "name: mlplatform\nruntime: python\nstackConfigDir: [stacks]\n"}),
    BadInput("stack-config-dir-null", PREVIEW_DEV, ["Pulumi.yaml: stackConfigDir: expected a directory path (a string), found nothing"],
             {"Pulumi.yaml": "name: mlplatform\nruntime: python\nstackConfigDir: ~\n"}),
    BadInput("main-a-list", PREVIEW_DEV, ['Pulumi.yaml: main: expected a path to the program (a string), found list ["x"]'],
             {"Pulumi.yaml": "name: mlplatform\nruntime: python\nstackConfigDir: stacks\nmain: [x]\n"}),
    BadInput("json-project-file-read-first", PREVIEW_DEV, ["Pulumi.json: the Pulumi CLI reads this project file (before any Pulumi.yaml)"],
             {"Pulumi.json": '{"name": "mlplatform", "runtime": "python"}\n'}),
    BadInput("check-every-stack-with-a-directory-among-them", ("check", "--program", PROJECT), ["stacks/Pulumi.uat.yaml: is a directory, not a file"],
             {"stacks/Pulumi.uat.yaml/keep": ""}),
    BadInput("secret-where-it-would-leak", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml: invalid stack configuration",
             "mlplatform:tags.owner: expected a plain value (only monitoring.webhooks[].uri may be encrypted", "found an encrypted (secure:) value"],
             {"stacks/Pulumi.dev.yaml": DEV.replace("owner: ml-platform-team", "owner: {secure: v1:AAABAOwner}")}),
    BadInput("whole-key-encrypted", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml: invalid stack configuration", "mlplatform:monitoring: expected", 'found string "[secret]"'],
             {"stacks/Pulumi.dev.yaml": DEV.replace("  mlplatform:monitoring:\n    emails: [ml-platform-alerts@example.com]\n",
                                                    "  mlplatform:monitoring:\n    secure: v1:AAABAMonitoring\n")}),
    BadInput("stacks-reference-each-other", ("preview", "x", "--program", PROJECT),
             ["referenced stack y could not be previewed: StackReference 'x': stacks reference each other in a cycle (x -> y -> x)"],
             {"stacks/Pulumi.x.yaml": DEV.replace("sharedStack: shared", "sharedStack: y"),
              "stacks/Pulumi.y.yaml": DEV.replace("sharedStack: shared", "sharedStack: x")}),
    BadInput("a-cycle-below-the-stack-previewed", ("preview", "w", "--program", PROJECT),
             ["referenced stack x could not be previewed: referenced stack y could not be previewed:", "in a cycle (x -> y -> x)"],
             {"stacks/Pulumi.w.yaml": DEV.replace("sharedStack: shared", "sharedStack: x"),
              "stacks/Pulumi.x.yaml": DEV.replace("sharedStack: shared", "sharedStack: y"),
              "stacks/Pulumi.y.yaml": DEV.replace("sharedStack: shared", "sharedStack: x")}),
    BadInput("program-exits-0-half-way", PREVIEW_DEV, ["the program of mlplatform exited (sys.exit(0)) before it finished for stack dev"],
             {"__main__.py": "import sys\nimport pulumi\npulumi.export('half', 'way')\nsys.exit(0)\n"}, code=1),
    BadInput("program-exits-3", PREVIEW_DEV, ["exited (sys.exit(3)) before it finished for stack dev"],
             {"__main__.py": "raise SystemExit(3)\n"}, code=1),
    BadInput("a-component-refuses-a-value", PREVIEW_DEV, ["stacks/Pulumi.dev.yaml: refused by the platform: state paths: invalid project name"],
             {"__main__.py": "from components.state_access import stack_paths\nstack_paths('no such project!', 'dev')\n"}),
    BadInput("the-program-itself-raises", PREVIEW_DEV, ["the program of mlplatform failed for stack dev: ValueError: invalid literal"],
             {"__main__.py": "int('not a number')\n"}, code=1),
]


def prod_with(old: str, new: str) -> dict[str, str]:
    assert old in PROD, old
    return {"stacks/Pulumi.prod.yaml": PROD.replace(old, new, 1)}


def dev_replacing(old: str, new: str) -> dict[str, str]:
    assert old in DEV, old
    return {"stacks/Pulumi.dev.yaml": DEV.replace(old, new, 1)}


PREVIEW_PROD = ("preview", "prod", "--program", PROJECT, "--no-policies")
#: Values the schema's shape admits but Azure, GitHub or Entra would refuse or silently merge.
VALUES = [
    BadInput("trailing-newline-in-a-name", PREVIEW_DEV, ["mlplatform:batchEndpoints[0].name: expected", r'found string "fraud-batch\n"'],
             dev_replacing("- name: fraud-batch", '- name: "fraud-batch\\n"')),
    BadInput("trailing-newline-in-a-model", PREVIEW_DEV, ["mlplatform:batchEndpoints[0].model: expected registry:<model>:<version>"],
             dev_replacing("model: registry:fraud-classifier:1", 'model: "registry:fraud-classifier:1\\n"')),
    BadInput("bare-azureml-model", PREVIEW_DEV, ["mlplatform:batchEndpoints[0].model: expected", 'found string "azureml:"'],
             dev_replacing("model: registry:fraud-classifier:1", 'model: "azureml:"')),
    BadInput("duplicate-batch-endpoint", PREVIEW_DEV, ["mlplatform:batchEndpoints[1]: expected a name not used by another batch endpoint"],
             dev_replacing("      cluster: cpu-small\n", "      cluster: cpu-small\n    - {name: fraud-batch, model: 'registry:fraud-classifier:2', cluster: cpu-small}\n")),
    BadInput("environment-twice-in-other-case", PREVIEW_DEV, ["mlplatform:ci.environments[1]: expected a GitHub environment listed once", 'found string "DEV"'],
             dev_replacing("environments: [dev]", "environments: [dev, DEV]")),
    BadInput("environment-listed-twice", PREVIEW_DEV, ["mlplatform:ci.environments: expected each item once", 'found string "dev" twice'],
             dev_replacing("environments: [dev]", "environments: [dev, dev]")),
    BadInput("webhook-without-host", PREVIEW_DEV, ["mlplatform:monitoring.webhooks[0].uri: expected an https:// URL with a host name"],
             dev_replacing("    emails: [ml-platform-alerts@example.com]\n", "    emails: [ml-platform-alerts@example.com]\n    webhooks: [{name: h, uri: 'https://'}]\n")),
    BadInput("webhook-twice", PREVIEW_DEV, ["mlplatform:monitoring.webhooks[1]: expected a webhook name not used by another"],
             dev_replacing("    emails: [ml-platform-alerts@example.com]\n",
                           "    emails: [ml-platform-alerts@example.com]\n    webhooks: [{name: h, uri: 'https://a.example.com'}, {name: H, uri: 'https://b.example.com'}]\n")),
    BadInput("plain-text-that-reads-secret", PREVIEW_DEV, ["mlplatform:monitoring.webhooks[0].uri: expected an https:// URL", 'found string "[secret]"'],
             dev_replacing("    emails: [ml-platform-alerts@example.com]\n", "    emails: [ml-platform-alerts@example.com]\n    webhooks: [{name: h, uri: '[secret]'}]\n")),
    BadInput("tag-names-differing-in-case", PREVIEW_DEV, ["mlplatform:tags.Owner: expected a tag name used once (Azure tag names ignore case)"],
             dev_replacing("    owner: ml-platform-team\n", "    owner: ml-platform-team\n    Owner: someone-else\n")),
    BadInput("fifty-one-tags", PREVIEW_DEV, ["mlplatform:tags: expected"],
             dev_replacing("    owner: ml-platform-team\n", "    owner: ml-platform-team\n" + "".join(f"    extra{i}: x\n" for i in range(47)))),
    BadInput("address-space-with-host-bits", PREVIEW_PROD, ["mlplatform:network.addressSpace: expected a network address without host bits, such as 10.60.0.0/22"],
             prod_with("addressSpace: 10.60.0.0/22", "addressSpace: 10.60.1.0/22")),
    BadInput("port-out-of-range", PREVIEW_PROD, ["mlplatform:network.outboundRules.monitor.portRanges: expected ports from 1 to 65535"],
             prod_with("    addressSpace: 10.60.0.0/22\n", "    addressSpace: 10.60.0.0/22\n    outboundRules:\n      monitor: {serviceTag: AzureMonitor, portRanges: '99999'}\n")),
    BadInput("budget-before-azure-budgets", PREVIEW_PROD, ["mlplatform:budget.startDate: expected the first of a month from 2017-06-01 on", 'found string "2001-01-01"'],
             prod_with('startDate: "2026-12-01"', 'startDate: "2001-01-01"')),
    BadInput("endpoint-twice", PREVIEW_PROD, ["mlplatform:endpoints[1]: expected a name not used by another online endpoint"],
             prod_with("  mlplatform:drift:\n", "    - name: fraud\n      deployments: [{name: blue, model: 'registry:fraud-classifier:1', instanceType: Standard_DS3_v2, maxInstances: 1}]\n  mlplatform:drift:\n")),
]


@pytest.mark.parametrize("row", [row.param() for row in VALUES])
def test_a_value_azure_would_refuse_or_merge_is_refused_cleanly(project_copy, capsys, row):
    check_bad_input(row, project_copy, capsys)


@pytest.mark.parametrize("row", [row.param() for row in STACK_FILES])
def test_a_bad_stack_file_is_refused_cleanly(project_copy, capsys, row):
    check_bad_input(row, project_copy, capsys)


OUTPUT_PATHS = [
    BadInput("json-onto-a-stack-file", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/stacks/Pulumi.dev.yaml"),
             [f"--json {PROJECT}/stacks/Pulumi.dev.yaml: it is a stack file", "nothing was run"], TRAP),
    BadInput("json-creating-a-stack-file", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/stacks/Pulumi.new.yaml"),
             ["stacks/Pulumi.new.yaml: it is a stack file"], TRAP),
    BadInput("json-onto-pulumi-yaml", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/Pulumi.yaml"),
             [f"--json {PROJECT}/Pulumi.yaml: it is the project file Pulumi.yaml"], TRAP),
    BadInput("json-onto-the-program", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/__main__.py"),
             [f"--json {PROJECT}/__main__.py: it is a Python source of the program"], TRAP),
    BadInput("json-into-the-policy-pack", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/policies/config/dev.json"),
             ["policies/config/dev.json: it is inside the policy pack"], {**TRAP, "policies/config/dev.json": "{}\n"}),
    BadInput("json-into-another-policy-pack", ("preview", "dev", "--program", PROJECT, "--policy-pack", f"{PROJECT}/pack", "--json", f"{PROJECT}/pack/x.json"),
             ["pack/x.json: it is inside the policy pack"], TRAP),
    BadInput("json-into-ml-templates", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/ml_templates/plan.json"),
             ["ml_templates/plan.json: it is inside ml_templates/"], TRAP),
    BadInput("json-onto-a-directory", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/stacks"),
             [f"--json {PROJECT}/stacks: is a directory"], TRAP),
    BadInput("json-under-a-file", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/README/plan.json"),
             [f"its parent {PROJECT}/README is a file, not a directory"], {**TRAP, "README": "notes\n"}),
    BadInput("json-far-under-a-file", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/README/a/b/plan.json"),
             [f"its parent {PROJECT}/README is a file, not a directory"], {**TRAP, "README": "notes\n"}),
    # /sys refuses new files even to root (a permission test that holds whoever runs the suite).
    BadInput("json-without-permission", ("preview", "dev", "--program", PROJECT, "--json", "/sys/plan.json"),
             ["--json /sys/plan.json: cannot write in /sys: Permission denied"], TRAP),
    BadInput("diff-json-onto-a-stack-file", ("diff", "dev", "staging", "--program", PROJECT, "--json", f"{PROJECT}/stacks/Pulumi.staging.yaml"),
             ["stacks/Pulumi.staging.yaml: it is a stack file"], TRAP),
    BadInput("diff-json-onto-a-directory", ("diff", "dev", "staging", "--program", PROJECT, "--json", PROJECT),
             [f"--json {PROJECT}: is a directory"], TRAP),
    BadInput("graph-output-onto-a-stack-file", ("graph", "dev", "--program", PROJECT, "--output", f"{PROJECT}/stacks/Pulumi.dev.yaml"),
             [f"--output {PROJECT}/stacks/Pulumi.dev.yaml: it is a stack file", "nothing was run"], TRAP),
    BadInput("graph-output-onto-the-program", ("graph", "dev", "--program", PROJECT, "--format", "svg", "--output", f"{PROJECT}/__main__.py"),
             [f"--output {PROJECT}/__main__.py: it is a Python source of the program"], TRAP),
    BadInput("graph-output-onto-a-directory", ("graph", "dev", "--program", PROJECT, "--output", f"{PROJECT}/stacks"),
             [f"--output {PROJECT}/stacks: is a directory"], TRAP),
    BadInput("report-into-the-policy-pack", ("report", "dev", "--program", PROJECT, "--output-dir", f"{PROJECT}/policies"),
             [f"--output-dir {PROJECT}/policies: cannot write report.html there: it is inside the policy pack"], TRAP),
    BadInput("report-comment-onto-a-directory", ("report", "dev", "--program", PROJECT, "--output-dir", f"{PROJECT}/out"),
             [f"--output-dir {PROJECT}/out: cannot write comment.md there: is a directory"], {**TRAP, "out/comment.md/keep": ""}),
    BadInput("report-without-permission", ("report", "dev", "--program", PROJECT, "--output-dir", "/sys/report"),
             ["--output-dir /sys/report: cannot write report.html there: cannot write in /sys: Permission denied"], TRAP),
    BadInput("report-base-outside-git", ("report", "dev", "--program", PROJECT, "--base", "main", "--output-dir", f"{PROJECT}/out"),
             ["is not in a git repository, so there is no base revision to compare with"], TRAP),
    BadInput("check-into-the-policy-pack", ("check", "dev", "--program", PROJECT, "--output-dir", f"{PROJECT}/policies"),
             [f"--output-dir {PROJECT}/policies: cannot write check.txt there: it is inside the policy pack"], TRAP),
    BadInput("check-into-a-file", ("check", "dev", "--program", PROJECT, "--output-dir", f"{PROJECT}/__main__.py"),
             [f"--output-dir {PROJECT}/__main__.py: is a file, not a directory"], TRAP),
    BadInput("check-report-onto-a-directory", ("check", "dev", "--program", PROJECT, "--output-dir", f"{PROJECT}/out"),
             [f"--output-dir {PROJECT}/out: cannot write check.sarif there: is a directory"], {**TRAP, "out/check.sarif/keep": ""}),
    BadInput("json-onto-the-pack-config", ("preview", "dev", "--program", PROJECT, "--policy-pack-config", f"{PROJECT}/c.json", "--json", f"{PROJECT}/c.json"),
             [f"--json {PROJECT}/c.json: it is the pack config given to --policy-pack-config, an input of the command"], {**TRAP, "c.json": "{}\n"}),
    BadInput("check-onto-the-pack-config", ("check", "dev", "--program", PROJECT, "--policy-pack-config", f"{PROJECT}/od/check.json", "--output-dir", f"{PROJECT}/od"),
             [f"--output-dir {PROJECT}/od: cannot write check.json there: it is the pack config given to --policy-pack-config"], {**TRAP, "od/check.json": "{}\n"}),
    BadInput("json-onto-package-data", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/components/data/vm_sizes.json"),
             ["components/data/vm_sizes.json: it is inside components/, a Python package of the program"],
             {**TRAP, "components/__init__.py": "", "components/data/vm_sizes.json": "{}\n"}),
    BadInput("json-into-a-nested-package", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/blueprint/program/config/platform.schema.json"),
             ["blueprint/program/config/platform.schema.json: it is inside blueprint/, a Python package of the program"],
             {**TRAP, "blueprint/__init__.py": "", "blueprint/program/config/__init__.py": "", "blueprint/program/config/platform.schema.json": "{}\n"}),
    BadInput("json-into-the-editor-schema", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/schema/stack-file.schema.json"),
             ["schema/stack-file.schema.json: it is inside schema/, the editor schema"], {**TRAP, "schema/stack-file.schema.json": "{}\n"}),
    BadInput("json-onto-pulumi-yml", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/Pulumi.yml"),
             [f"--json {PROJECT}/Pulumi.yml: the Pulumi CLI would read it as the project file (Pulumi.yml)"], TRAP),
    BadInput("json-onto-pulumi-json", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/Pulumi.json"),
             [f"--json {PROJECT}/Pulumi.json: the Pulumi CLI would read it as the project file (Pulumi.json)"], TRAP),
    BadInput("check-without-permission", ("check", "dev", "--program", PROJECT, "--output-dir", "/sys/reports"),
             ["--output-dir /sys/reports: cannot write check.txt there: cannot write in /sys: Permission denied"], TRAP),
]


@pytest.mark.parametrize("row", [row.param() for row in OUTPUT_PATHS])
def test_an_output_path_that_cannot_or_must_not_be_written_is_refused_before_anything_runs(project_copy, capsys, row):
    check_bad_input(row, project_copy, capsys)


@pytest.mark.parametrize(("argv", "option"), [
    (("preview", "dev", "--program", f"{PROJECT}/loop1"), "--program"),
    (("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/loop1"), "--json"),
    (("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/loop1/plan.json"), "--json"),
    (("preview", "dev", "--program", PROJECT, "--policy-pack", f"{PROJECT}/loop1"), "--policy-pack"),
    (("preview", "dev", "--program", PROJECT, "--policy-pack-config", f"{PROJECT}/loop1"), "--policy-pack-config"),
    (("diff", "dev", "staging", "--program", PROJECT, "--json", f"{PROJECT}/loop1"), "--json"),
    (("check", "dev", "--program", PROJECT, "--output-dir", f"{PROJECT}/loop1"), "--output-dir"),
    (("check", "dev", "--program", PROJECT, "--policy-pack", f"{PROJECT}/loop1"), "--policy-pack"),
    (("policies", "--policy-pack", f"{PROJECT}/loop1"), "--policy-pack"),
    (("templates", "validate", "--path", f"{PROJECT}/loop1"), "--path"),
    (("promote", "prod", *GREEN, "--program", f"{PROJECT}/loop1"), "--program"),
], ids=lambda value: value if isinstance(value, str) else " ".join(value[:1] + value[-2:-1]))
def test_a_symbolic_link_loop_given_as_a_path_is_refused_naming_it(project_copy, capsys, argv, option):
    (project_copy / "loop1").symlink_to("loop2")
    (project_copy / "loop2").symlink_to("loop1")
    given = next(argument for argument in argv if "loop1" in argument)
    row = BadInput("loop", argv, [f"{option} {given}: a symbolic link loop"], TRAP)
    check_bad_input(row, project_copy, capsys)


def test_a_check_report_name_that_is_a_link_loop_is_refused(project_copy, capsys):
    (project_copy / "out").mkdir()
    (project_copy / "out" / "check.txt").symlink_to("check.txt")
    row = BadInput("loop", ("check", "dev", "--program", PROJECT, "--output-dir", f"{PROJECT}/out"), [f"--output-dir {PROJECT}/out/check.txt: a symbolic link loop"], TRAP)
    check_bad_input(row, project_copy, capsys)


def test_a_plan_in_the_project_directory_is_still_fine_beside_packages(project_copy):
    from blueprint.tools.output_paths import check_output_file
    from blueprint.program.project import load_project

    (project_copy / "components").mkdir()
    (project_copy / "components" / "__init__.py").write_text("")
    project = load_project(project_copy)
    for name in ("plan.json", "reports/plan.json"):
        assert check_output_file(project_copy / name, project) == project_copy / name


def test_a_symbolic_link_to_a_stack_file_is_the_stack_file(project_copy, capsys):
    link = project_copy / "plan.json"
    link.symlink_to(project_copy / "stacks" / "Pulumi.dev.yaml")
    row = BadInput("link", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/plan.json"), ["plan.json: it is a stack file"], TRAP)
    check_bad_input(row, project_copy, capsys)


@pytest.mark.parametrize(("links", "message"), [
    ({"Pulumi.qa.yaml": "Pulumi.gone.yaml"}, "stacks/Pulumi.qa.yaml: a symbolic link to Pulumi.gone.yaml, which does not exist"),
    ({"Pulumi.loop1.yaml": "Pulumi.loop2.yaml", "Pulumi.loop2.yaml": "Pulumi.loop1.yaml"}, "stacks/Pulumi.loop1.yaml: a symbolic link loop"),
], ids=["dangling", "loop"])
def test_check_of_every_stack_refuses_a_stack_file_it_cannot_read(project_copy, capsys, links, message):
    """``blueprint check`` with no names checks every stack: one it cannot read is an error, never skipped."""
    for name, target in links.items():
        (project_copy / "stacks" / name).symlink_to(target)
    check_bad_input(BadInput("unreadable", ("check", "--program", PROJECT), [message]), project_copy, capsys)


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
    BadInput("promote-integer-of-5000-digits", PROMOTE_PROD, ["stacks/Pulumi.prod.yaml:", "an integer too large to read"],
             {"stacks/Pulumi.prod.yaml": PROD + "  mlplatform:x: " + "9" * 5000 + "\n"}),
    BadInput("promote-through-an-alias", PROMOTE_PROD,
             ["stacks/Pulumi.prod.yaml: mlplatform:endpoints[0].deployments is shared through the YAML anchor &fraud_deployments with "
              "mlplatform:endpoints[1].deployments: promoting here would change both", "(nothing written)"],
             {"stacks/Pulumi.prod.yaml": PROD.replace("      deployments:\n        - name: blue\n", "      deployments: &fraud_deployments\n        - name: blue\n", 1)
              .replace("  mlplatform:drift:\n", "    - {name: fraud-shadow, deployments: *fraud_deployments}\n  mlplatform:drift:\n", 1)}),
    BadInput("promote-a-merge-source", ("promote", "prod", "--endpoint", "fraud", "--deployment", "blue", "--model", "registry:fraud-classifier:7", "--program", PROJECT),
             ["mlplatform:endpoints[0].deployments[0] is shared through the YAML anchor &blue with mlplatform:endpoints[0].deployments[1] (merging it with <<)"],
             {"stacks/Pulumi.prod.yaml": PROD.replace("        - name: blue\n", "        - &blue\n          name: blue\n", 1)
              .replace("        - name: green\n          model: registry:fraud-classifier:2\n", "        - <<: *blue\n          name: green\n", 1)}),
    BadInput("promote-unknown-stack", ("promote", "nope", *GREEN, "--program", PROJECT), ["stacks/Pulumi.nope.yaml: no such stack file"]),
    BadInput("promote-a-directory", ("promote", "dir", *GREEN, "--program", PROJECT), ["stacks/Pulumi.dir.yaml: no such stack file"],
             {"stacks/Pulumi.dir.yaml/keep": ""}),
    BadInput("fork-duplicate-key", FORK_DEV, ["stacks/Pulumi.dev.yaml:", "given twice"],
             {"stacks/Pulumi.dev.yaml": dev_with("mlplatform:namingPrefix: other")}),
    BadInput("fork-huge-source", FORK_DEV, ["stacks/Pulumi.dev.yaml: larger than 1024 KB"],
             {"stacks/Pulumi.dev.yaml": DEV + "# " + "x" * (1024 * 1024) + "\n"}),
    BadInput("fork-alias-bomb", FORK_DEV, ["stacks/Pulumi.dev.yaml:", "excessive aliasing"],
             {"stacks/Pulumi.dev.yaml": DEV + "".join(f"  {line}\n" for line in billion_laughs(38).splitlines())}),
    BadInput("fork-yes-is-not-a-boolean", FORK_DEV, ["stacks/Pulumi.fraud-dev.yaml: invalid stack configuration", 'mlplatform:protect', 'found string "yes"', "(nothing written)"],
             {"stacks/Pulumi.dev.yaml": DEV.replace("  mlplatform:namingPrefix: mlp\n", "  mlplatform:namingPrefix: mlp\n  mlplatform:protect: yes\n")}),
]


@pytest.mark.parametrize("row", [row.param() for row in EDITS])
def test_fork_and_promote_refuse_what_the_engine_would_not_read(project_copy, capsys, row):
    check_bad_input(row, project_copy, capsys)
    assert not (project_copy / "stacks" / "Pulumi.fraud-dev.yaml").exists()


def test_an_unwritable_plan_path_costs_no_preview_even_when_the_program_is_fine(project_copy, capsys):
    """The trap rows prove the order; this one proves a good program is not run either (nothing is printed)."""
    row = BadInput("plain", ("preview", "dev", "--program", PROJECT, "--json", f"{PROJECT}/stacks/Pulumi.dev.yaml"), ["it is a stack file"])
    result = check_bad_input(row, project_copy, capsys)
    assert result.out == ""


def test_a_socket_is_not_a_place_for_a_plan(project_copy, capsys, tmp_path: Path):
    import socket

    path = tmp_path / "listener.sock"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        row = BadInput("json-onto-a-socket", ("preview", "dev", "--program", PROJECT, "--json", str(path)),
                       [f"--json {path}: is not a regular file"], TRAP)
        check_bad_input(row, project_copy, capsys)


def test_dev_null_takes_a_plan_and_stays_a_device(capsys):
    """Writing to /dev/null discards the plan: it is written through, never replaced by a file (replacing it, as
    root, breaks every program on the machine)."""
    import stat

    from tests.badinput import run_in_process
    from tests.conftest import REPO

    result = run_in_process(["preview", "dev", "--program", str(REPO), "--no-policies", "--json", "/dev/null"], capsys)
    assert result.code == 0, result.err
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


def test_a_missing_parent_directory_is_still_created(project_copy, capsys, tmp_path: Path):
    from tests.badinput import run_in_process

    import shutil

    from tests.conftest import REPO

    shutil.copytree(REPO / "ml_templates", project_copy / "ml_templates")  # dev reads the shared stack, which publishes them
    target = tmp_path / "reports" / "deep" / "plan.json"
    result = run_in_process(["preview", "dev", "--program", str(project_copy), "--no-policies", "--json", str(target)], capsys)
    assert result.code == 0, result.err
    assert target.is_file() and [path.name for path in target.parent.iterdir()] == ["plan.json"]


def test_the_tables_of_bad_inputs_cover_every_kind_and_are_long_enough():
    """The issue's floor: at least 80 bad inputs across stack files, CLI paths and flags, pack configs, waivers, fork
    and promote, each run end to end with its exit code, message, no traceback and the project tree unchanged."""
    from tests.test_allow_lists import BAD_ALLOW_LISTS
    from tests.test_pack_config import BAD_CONFIGS

    tables = {"stack files": STACK_FILES, "values": VALUES, "output paths": OUTPUT_PATHS, "fork and promote": EDITS,
              "pack configs and waivers": BAD_CONFIGS, "allow-lists": BAD_ALLOW_LISTS}
    assert all(len(rows) >= 10 for rows in tables.values()), {kind: len(rows) for kind, rows in tables.items()}
    assert sum(len(rows) for rows in tables.values()) >= 80
    assert any("waiver" in str(row).lower() for row in BAD_CONFIGS)
    assert {row.argv[0] for row in EDITS} == {"fork", "promote"}
