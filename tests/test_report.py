"""``blueprint report``: the plan read back from JSON, the comparison with a base revision (previewed by the base's own
code), the comment and the HTML page, end to end as a user runs the command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from blueprint.tools.errors import UsageError
from blueprint.tools.policy_check import Finding
from blueprint.tools.preview.plan_loader import plan_from_json
from blueprint.tools.report.changes import compare, finding_difference
from blueprint.tools.report.comment import GITHUB_COMMENT_LIMIT, TARGET_LENGTH, marker, render_comment
from blueprint.tools.report.cost_chart import cost_chart
from blueprint.tools.report.gather import gather
from blueprint.tools.stack_diff import RoleRef
from tests.conftest import REPO, preview_stack

#: What a copy of the project needs to preview its stacks with its own code: program, packages, pack, templates.
PROJECT_PARTS = ("Pulumi.yaml", "__main__.py", "pyproject.toml", "stacks", "blueprint", "components", "policies", "ml_templates", "schema")
PRICES = REPO / "blueprint" / "tools" / "data" / "prices.json"


def blueprint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blueprint", *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-c", "user.name=Blueprint Tests", "-c", "user.email=tests@example.com", "-c", "commit.gpgsign=false",
                             *args], cwd=repo, capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.fixture
def project_repo(tmp_path: Path) -> Path:
    """The project (program, its packages, the pack, the stacks) committed as the first commit of a new repository."""
    repo = tmp_path / "repo"
    repo.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".blueprint")
    for part in PROJECT_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, repo / part, ignore=ignore)
        else:
            shutil.copy(source, repo / part)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def edit_stack(repo: Path, stack: str, change) -> None:
    path = repo / "stacks" / f"Pulumi.{stack}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data["config"])
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def vm_hourly(region: str, size: str) -> float:
    """A VM's list price read straight from the price table (not through the estimator under test)."""
    entry = json.loads(PRICES.read_text())["regions"][region]["vmHourly"][size]
    return float(entry["value"] if isinstance(entry, dict) else entry)


# --- The plan read back from JSON ----------------------------------------------------------------------------------


def test_a_plan_read_back_from_its_json_is_the_same_plan() -> None:
    plan = preview_stack("dev")
    document = json.loads(json.dumps(plan.to_json()))
    assert plan_from_json(document).to_json() == plan.to_json()


@pytest.mark.parametrize(("breakage", "expected"), [
    (lambda d: d.update(formatVersion=2), "plan: formatVersion: expected 1, found 2"),
    (lambda d: d.pop("stack"), "plan: stack is missing"),
    (lambda d: d["resources"][1].pop("urn"), "plan: resources[1]: urn is missing"),
    (lambda d: d["resources"][1].update(custom="yes"), "plan: resources[1].custom: expected true or false, found the string 'yes'"),
    (lambda d: d["resources"][1].update(inputs=[]), "plan: resources[1].inputs: expected an object, found a list"),
    (lambda d: d["resources"][1].update(dependencies=[3]), "plan: resources[1].dependencies[0]: expected a string, found the number 3"),
    (lambda d: d.update(resources={}), "plan: resources: expected a list, found an object"),
])
def test_a_document_that_is_not_a_plan_is_refused_naming_the_key(breakage, expected: str) -> None:
    document = json.loads(json.dumps(preview_stack("dev").to_json()))
    breakage(document)
    with pytest.raises(UsageError) as error:
        plan_from_json(document)
    assert str(error.value) == expected


# --- Comparison, comment, page pieces ------------------------------------------------------------------------------


def finding(policy: str, urn: str | None, stack: str = "dev", waived: str | None = None) -> Finding:
    return Finding(policy, "high", "mandatory", "message", urn, stack, waived)


def test_findings_are_new_or_fixed_by_policy_and_resource_role() -> None:
    a = "urn:pulumi:dev::mlplatform::mlplatform:index:MlWorkspace$azure-native:keyvault:Vault::platform-kv"
    b = "urn:pulumi:dev::mlplatform::mlplatform:index:MlWorkspace$azure-native:storage:StorageAccount::platform-st"
    before = [finding("p1", a), finding("p2", a), finding("p3", None)]
    after = [finding("p1", a.replace(":dev::", ":other::")), finding("p2", b), finding("p3", None), finding("p4", a, waived="reason")]
    assert [(f.policy, f.urn) for f in finding_difference(after, before)] == [("p2", b)]
    assert [(f.policy, f.urn) for f in finding_difference(before, after)] == [("p2", a)]


def test_a_new_stack_file_adds_everything_and_its_whole_cost() -> None:
    report = gather(preview_stack("dev"), REPO, None)
    comparison = compare(report.plan, report.cost, report.findings, ref="main", commit="0" * 40, base_plan=None)
    assert comparison.diff.only_a == [] and comparison.diff.changed == []
    assert len(comparison.diff.only_b) == len(report.plan.resources)
    assert report.cost is not None and comparison.cost is not None
    assert comparison.cost.fixed_delta == round(report.cost.fixed_monthly, 2)
    assert len(comparison.new_findings) == len({(f.policy, f.urn) for f in report.findings if f.waived is None})


def test_the_comment_stays_under_githubs_limit_however_much_changed() -> None:
    """Thousands of added resources and a huge picture: lists end with a count, the picture goes, the marker stays."""
    report = gather(preview_stack("dev"), REPO, None)
    comparison = compare(report.plan, report.cost, report.findings, ref="main", commit="0" * 40, base_plan=None)
    many = [RoleRef(f"role-{i}", "azure-native:network:PrivateEndpoint", f"endpoint-{i:05d}-" + "x" * 80, True) for i in range(5000)]
    comparison.diff.only_b[:] = many
    asked: list[bool] = []

    def picture(neighbours: bool) -> str:
        asked.append(neighbours)
        return "flowchart LR\n" + "".join(f"  n{i}[endpoint {i}]\n" for i in range(20000))

    text = render_comment(replace(report, comparison=comparison), picture)
    assert len(text) <= TARGET_LENGTH < GITHUB_COMMENT_LIMIT
    assert text.startswith(marker("dev") + "\n")
    assert "**Added (5000)**" in text and "- ... and 4995 more" in text
    assert "```mermaid" not in text and asked == [True, False] * 3


def test_the_cost_chart_has_a_bar_per_line_of_the_estimate() -> None:
    report = gather(preview_stack("prod"), REPO, None)
    assert report.cost is not None
    svg = cost_chart(report.cost)
    assert svg.count('<g class="cost-bar cost-fixed">') == sum(1 for line in report.cost.lines if line.kind == "fixed")
    assert svg.count('<g class="cost-bar cost-peak">') == sum(1 for line in report.cost.lines if line.kind == "peak")
    assert svg.startswith("<svg") and "<script" not in svg


# --- The base revision's tree and preview ------------------------------------------------------------------------


def test_the_base_tree_is_the_revisions_files_and_is_removed_afterwards(project_repo: Path) -> None:
    from blueprint.tools.base_tree import materialised

    (project_repo / "stacks" / "Pulumi.dev.yaml").write_text("changed after the commit\n")
    with materialised(project_repo, "main") as base:
        assert base.commit == git(project_repo, "rev-parse", "main")
        assert base.project == base.root
        assert (base.root / "stacks" / "Pulumi.dev.yaml").read_text() == (REPO / "stacks" / "Pulumi.dev.yaml").read_text()
        root = base.root
    assert not root.exists()
    with pytest.raises(RuntimeError), materialised(project_repo, "main") as base:  # removed however the block ends
        root = base.root
        raise RuntimeError("stop")
    assert not root.exists()


def test_a_revision_that_is_not_a_commit_is_bad_usage(project_repo: Path, tmp_path: Path) -> None:
    from blueprint.tools.base_tree import materialised

    with pytest.raises(UsageError, match=r"--base no-such-branch: no such commit in .*fetch-depth: 0"), materialised(project_repo, "no-such-branch"):
        pass
    with pytest.raises(UsageError, match="expected a git revision"), materialised(project_repo, "--output=x"):
        pass
    elsewhere = tmp_path / "not-a-repo"
    elsewhere.mkdir()
    with pytest.raises(UsageError, match="is not in a git repository"), materialised(elsewhere, "HEAD"):
        pass
