"""``blueprint report``: the plan read back from JSON, the comparison with a base revision (previewed by the base's own
code), the comment and the HTML page, end to end as a user runs the command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from blueprint.tools.errors import UsageError
from blueprint.tools.graph import build_graph
from blueprint.tools.graph.style import STATUS_COLOURS
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
#: Names the directory where the rendering test keeps its screenshot (CI uploads it: .github/workflows/infrastructure.yml).
ARTIFACTS_VARIABLE = "BLUEPRINT_TEST_ARTIFACTS"


def blueprint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blueprint", *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-c", "user.name=Blueprint Tests", "-c", "user.email=tests@example.com", "-c", "commit.gpgsign=false",
                             *args], cwd=repo, capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.fixture
def project_repo(tmp_path: Path) -> Path:
    """The project (program, its packages, the pack, the stacks) committed as the first commit of a new repository."""
    return committed_project(tmp_path / "repo")


def committed_project(repo: Path) -> Path:
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


# --- End to end ----------------------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_without_base_the_comment_summarises_the_stack(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = blueprint("report", "prod", "--output-dir", str(out), cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert f"Report written to {out}: report.html, comment.md" in result.stdout
    comment = (out / "comment.md").read_text()
    report = gather(preview_stack("prod"), REPO, None)
    assert comment.startswith("<!-- blueprint-report:prod -->\n### Stack `prod`: ")
    assert f"{report.cloud_resources} cloud resources" in comment
    assert report.cost is not None and f"fixed ${report.cost.fixed_monthly:,.2f}" in comment
    assert "```mermaid" not in comment and "Compared with" not in comment
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and 'id="graph"' in page and 'id="controls"' in page
    assert "<script" not in page and "http-equiv=\"Content-Security-Policy\"" in page


def grow_dev_clusters(config: dict) -> None:
    """dev's CPU cluster may grow from 2 to 5 nodes, and a third cluster, always one node up, joins."""
    clusters = config["mlplatform:clusters"]
    assert clusters[0]["name"] == "cpu-small" and clusters[0]["maxNodes"] == 2
    clusters[0]["maxNodes"] = 5
    clusters.append({"name": "cpu-always", "vmSize": "Standard_DS3_v2", "minNodes": 1, "maxNodes": 1})
    assert config["mlplatform:budget"]["peakHoursPerMonth"] == 20


@pytest.fixture(scope="module")
def grown_dev(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """``blueprint report dev --base HEAD~1`` after a commit growing dev's clusters: its output directory and run."""
    repo = committed_project(tmp_path_factory.mktemp("grown") / "repo")
    edit_stack(repo, "dev", grow_dev_clusters)
    git(repo, "commit", "-q", "-am", "bigger dev clusters")
    out = repo / "out"
    return out, blueprint("report", "dev", "--base", "HEAD~1", "--output-dir", str(out), cwd=repo)


@pytest.mark.e2e
def test_a_stack_change_lists_the_resources_it_adds_and_changes_and_its_cost_delta(grown_dev) -> None:
    """The CPU cluster and its busy-nodes alert (whose threshold follows maxNodes) change, and the stack's outputs
    name the new cluster; the new cluster adds its compute, its identity's three role assignments and its alert. The
    cost delta is worked out here from the price table: the new node runs all month (730 h), the three extra nodes
    only in dev's 20 peak hours."""
    out, result = grown_dev
    assert result.returncode == 0, result.stderr
    comment = (out / "comment.md").read_text()

    def listed(title: str) -> list[str]:
        section = comment.split(f"**{title} (", 1)[1].split("\n\n", 2)[1]
        return [line.split("` ", 1)[1].split(":", 1)[0] for line in section.splitlines() if line.startswith("- `")]

    price = vm_hourly("westeurope", "Standard_DS3_v2")
    fixed_delta = 730 * price
    peak_delta = 730 * price + 3 * price * 20
    cost_rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[-1].strip("|* ") for line in comment.splitlines()
                 if line.startswith(("| Fixed", "| Peak month"))}
    assert comment.startswith("<!-- blueprint-report:dev -->\n")
    assert f"fixed +${round(fixed_delta, 2):,.2f} a month" in comment.splitlines()[1]
    assert float(cost_rows["Fixed"].removeprefix("+$")) == pytest.approx(fixed_delta, abs=0.01)
    assert float(cost_rows["Peak month"].removeprefix("+$")) == pytest.approx(peak_delta, abs=0.01)  # totals rounded to the cent
    assert sorted(listed("Added")) == sorted([
        "cpu-always", "cpu-always/cpu-always", "cpu-always/cpu-always-identity-roles",
        *(f"cpu-always/cpu-always-identity-roles/cpu-always-identity-roles-compute-cpu-always-{grant}"
          for grant in ("acrpull-containerregistry", "azureml-registry-user-mlregistry", "storage-blob-data-contributor-storage")),
        "monitoring/monitoring-alert-cpu-always-nodes",
    ])
    assert sorted(listed("Changed")) == ["cpu-small/cpu-small", "mlplatform-dev", "monitoring/monitoring-alert-cpu-small-nodes"]
    assert "`properties.properties.scaleSettings.maxNodeCount`: 2 \u2192 5" in comment
    assert "**Removed" not in comment
    # A cluster that never scales to zero breaks a mandatory policy: the one new finding; nothing was fixed.
    new_findings = comment.split("**New findings (1)**", 1)[1].split("\n\n", 2)[1].splitlines()[2:]
    assert [row.split(" | ")[0].strip("| `") for row in new_findings] == ["azure-native-machinelearningservices-compute-require-scale-to-zero"]
    assert "Compute::cpu-always" in new_findings[0] and "**Fixed findings:** none." in comment
    assert "```mermaid\n" in comment
    assert "against HEAD~1" in result.stdout and "7 added, 3 changed, 0 removed" in result.stdout


@pytest.mark.e2e
def test_the_base_is_previewed_by_the_base_commits_own_code(project_repo: Path) -> None:
    """The stack file is the same in both commits; only the component code changed. Previewed by the current code
    on both sides, nothing would differ: the report shows the base's component did something else."""
    source = project_repo / "components" / "monitoring.py"
    text = source.read_text()
    assert text.count("nodes busy ") == 1
    source.write_text(text.replace("nodes busy ", "nodes in use "))
    git(project_repo, "commit", "-q", "-am", "reword the busy-nodes alert")
    result = blueprint("report", "dev", "--base", "HEAD~1", "--output-dir", str(project_repo / "out"), cwd=project_repo)
    assert result.returncode == 0, result.stderr
    comment = (project_repo / "out" / "comment.md").read_text()
    assert "0 added, 2 changed, 0 removed" in comment.splitlines()[1]
    changed = comment.split("**Changed (2)**\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split("` ", 1)[1].split(":", 1)[0] for line in changed] == [
        "monitoring/monitoring-alert-cpu-small-nodes", "monitoring/monitoring-alert-gpu-t4-spot-nodes"]
    assert all("`description`: Cluster " in line and "nodes bus" in line and "nodes in " in line for line in changed)


@pytest.mark.e2e
def test_a_stack_file_the_base_lacks_is_all_added(project_repo: Path) -> None:
    shutil.copy(project_repo / "stacks" / "Pulumi.dev.yaml", project_repo / "stacks" / "Pulumi.qa.yaml")
    edit_stack(project_repo, "qa", lambda config: config["mlplatform:tags"].update(environment="dev"))
    git(project_repo, "add", "-A")
    git(project_repo, "commit", "-q", "-m", "a qa stack")
    result = blueprint("report", "qa", "--base", "HEAD~1", "--output-dir", str(project_repo / "out"), cwd=project_repo)
    assert result.returncode == 0, result.stderr
    comment = (project_repo / "out" / "comment.md").read_text()
    assert "The stack file is new: `HEAD~1`" in comment
    assert ", 0 changed, 0 removed" in comment.splitlines()[1]


@pytest.mark.e2e
@pytest.mark.parametrize("base", ["no-such-branch", "HEAD~5"])
def test_a_base_that_is_not_a_commit_exits_2_before_any_preview(project_repo: Path, base: str) -> None:
    out = project_repo / "out"
    result = blueprint("report", "dev", "--base", base, "--output-dir", str(out), cwd=project_repo)
    assert result.returncode == 2
    assert f"error: --base {base}: no such commit in " in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == "" and not out.exists()


@pytest.mark.e2e
def test_a_base_outside_a_git_repository_exits_2(project_copy: Path) -> None:
    result = blueprint("report", "dev", "--base", "main", "--output-dir", str(project_copy / "out"), cwd=project_copy)
    assert result.returncode == 2
    assert "is not in a git repository, so there is no base revision to compare with" in result.stderr
    assert not (project_copy / "out").exists()


@pytest.mark.e2e
def test_an_output_dir_that_cannot_take_both_files_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "comment.md").mkdir(parents=True)  # report.html could be written, comment.md cannot
    result = blueprint("report", "dev", "--output-dir", str(out), cwd=REPO)
    assert result.returncode == 2
    assert f"--output-dir {out}: cannot write comment.md there: is a directory" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["comment.md"]
    blocked = tmp_path / "file"
    blocked.write_text("not a directory\n")
    result = blueprint("report", "dev", "--output-dir", str(blocked / "out"), cwd=REPO)
    assert result.returncode == 2 and "is a file, not a directory" in result.stderr
    assert blocked.read_text() == "not a directory\n"
    result = blueprint("report", "dev", "--output-dir", "/sys/report", cwd=REPO)  # /sys refuses new files even to root
    assert result.returncode == 2 and "cannot write in /sys: Permission denied" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.e2e
def test_the_project_files_are_refused_as_an_output_dir(project_copy: Path) -> None:
    result = blueprint("report", "dev", "--output-dir", "stacks", cwd=project_copy)
    assert result.returncode == 2 and "Traceback" not in result.stderr


# --- The page as a browser renders it ------------------------------------------------------------------------------

#: A headless Chromium that stays off the network: no sync, updates, QUIC or background fetches, a fresh profile.
CHROMIUM_FLAGS = ("--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic", "--hide-scrollbars", "--enable-logging=stderr", "--v=0")
WINDOW = (1400, 2400)


def chromium() -> str:
    """The browser (Debian's chromium; a Chrome on PATH counts): a missing one fails the test, never skips it."""
    found = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None)
    if found is None:
        pytest.fail("no Chromium on PATH: scripts/system-packages.sh installs it (scripts/setup.sh --dev runs it)")
    return found


def _descendants(pid: int) -> list[int]:
    return [child for direct in _children(pid) for child in (direct, *_descendants(direct))]


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def run_chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    sandbox = ("--no-sandbox",) if os.geteuid() == 0 else ()  # Chromium refuses its sandbox as root
    command = [chromium(), *CHROMIUM_FLAGS, *sandbox, f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
               *extra, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def console_messages(stderr: str) -> list[str]:
    """What the page said on its console (Chromium logs each message as ``INFO:CONSOLE``): the page has no script, so
    any message is an error, such as a fetch the page's content security policy refused."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def png_pixels(data: bytes) -> tuple[int, int, set[bytes]]:
    """Width, height and distinct colours of an 8-bit RGB or RGBA PNG, decoded with the standard library."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks, position = {}, 8
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunks.setdefault(kind, b"")
        chunks[kind] += data[position + 8:position + 8 + length]
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    size = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(chunks[b"IDAT"]), width * size
    previous, colours = bytearray(stride), set()
    for row in range(height):
        kind, line = raw[row * (stride + 1)], bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        if row % 8 == 0:
            colours.update(bytes(line[i:i + 3]) for i in range(0, stride, size * 4))
        previous = line
    return width, height, colours


@pytest.mark.e2e
def test_the_page_renders_the_graph_and_the_findings_in_a_browser(grown_dev, tmp_path: Path) -> None:
    """Headless Chromium loads report.html from the file system: no console message (nothing refused, nothing
    failed), the DOM it built holds the graph's nodes, every finding, the cost bars and the change; the screenshot
    is a real picture. It is kept where BLUEPRINT_TEST_ARTIFACTS says (CI uploads it)."""
    out, result = grown_dev
    assert result.returncode == 0, result.stderr
    page = out / "report.html"
    shot = tmp_path / "report.png"
    dom_run = run_chromium(page, tmp_path / "profile-dom", "--dump-dom")
    assert dom_run.returncode == 0, dom_run.stderr[-2000:]
    shot_run = run_chromium(page, tmp_path / "profile-shot", f"--screenshot={shot}")
    assert shot_run.returncode == 0, shot_run.stderr[-2000:]
    assert console_messages(dom_run.stderr) == [] and console_messages(shot_run.stderr) == []

    dom = dom_run.stdout
    plan = plan_from_json(json.loads(blueprint("preview", "dev", "--json", cwd=out.parent).stdout))
    report, drawn = gather(plan, out.parent, None), build_graph(plan)
    graph = dom.split('<section id="graph">', 1)[1].split("</section>", 1)[0]
    assert graph.count('class="node"') == len(drawn.nodes) > 20, "the stack's graph has lost its boxes"
    assert graph.count('class="edge"') == len(drawn.edges) > 20, "the stack's graph has lost its lines"
    assert STATUS_COLOURS["added"][0] in graph, "the added cluster is not marked"
    findings = dom.split('<section id="findings">', 1)[1].split("</section>", 1)[0]
    assert findings.count('<tr class="finding">') == len(report.violations) > 0
    assert all(f.policy in findings for f in report.violations)
    assert report.cost is not None and dom.count('class="cost-bar cost-') == len(report.cost.lines)
    assert "Changes against HEAD~1" in dom and "cpu-always" in dom

    data = shot.read_bytes()
    width, height, colours = png_pixels(data)
    assert (width, height) == WINDOW and len(data) > 50_000
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    keep = os.environ.get(ARTIFACTS_VARIABLE)
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report-dev.png")
        shutil.copy(page, Path(keep) / "report-dev.html")


@pytest.mark.e2e
def test_the_comments_mermaid_blocks_parse_with_removed_resources_drawn_too(grown_dev) -> None:
    """Mermaid's own parser (tests/test_graph.py's check in headless Chromium) accepts the comment's picture, both for
    the grown stack and the other way round, where the third cluster is removed: it exists only in the base plan,
    and is drawn all the same, marked removed."""
    from blueprint.tools.report.render import render_files
    from tests.test_graph import mermaid_errors

    out, result = grown_dev
    assert result.returncode == 0, result.stderr
    grown = plan_from_json(json.loads(blueprint("preview", "dev", "--json", cwd=out.parent).stdout))
    current = preview_stack("dev")
    report = gather(current, REPO, None)
    shrunk = replace(report, comparison=compare(current, report.cost, report.findings, ref="grown", commit="1" * 40, base_plan=grown))
    assert [ref.path for ref in shrunk.comparison.diff.only_a if ref.custom][0] == "cpu-always/cpu-always"
    files = render_files(shrunk)
    blocks = [text.split("```mermaid\n", 1)[1].split("```", 1)[0] for text in ((out / "comment.md").read_text(), files.comment)]
    removed = next(r for r in grown.resources if r.type == "azure-native:machinelearningservices:Compute" and r.name == "cpu-always")
    assert "cpu-always" in blocks[1] and shrunk.comparison.status[removed.urn] == "removed"
    assert "classDef removed " in blocks[1] and "classDef added " in blocks[0]
    assert "**Removed (7)**" in files.comment
    assert mermaid_errors(blocks) == [None, None]


@pytest.mark.e2e
def test_ctrl_c_during_the_base_preview_leaves_no_base_tree_no_child_and_no_file(project_repo: Path, tmp_path: Path) -> None:
    """SIGINT while the base revision is being previewed in its extracted tree: the child preview ends, the tree is
    removed, nothing is written, and the command says it was interrupted (exit 130)."""
    import signal
    import time

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "blueprint", "report", "dev", "--base", "HEAD", "--output-dir", str(out)],
        cwd=project_repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(scratch)},
    )
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        if any(scratch.glob("blueprint-base-*/stacks")) and any("preview" in _command_line(c) for c in _children(process.pid)):
            break  # extracted, and the base's preview is running
        time.sleep(0.05)
    time.sleep(0.5)  # well into the preview
    assert process.poll() is None, f"the command ended before its base preview started: {process.communicate()}"
    started = _descendants(process.pid)
    assert started
    os.kill(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "error: interrupted" and "Traceback" not in stderr
    assert list(scratch.glob("blueprint-base-*")) == []
    assert not out.exists()
    for child in started:
        with pytest.raises(ProcessLookupError):
            os.kill(child, 0)


def _children(pid: int) -> list[int]:
    """The process IDs of ``pid``'s children (Linux: /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _descendants(pid: int) -> list[int]:
    return [child for direct in _children(pid) for child in (direct, *_descendants(direct))]


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""

