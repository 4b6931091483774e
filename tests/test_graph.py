"""``blueprint graph``: the model built from the shipped stacks' plans, its Mermaid text checked by Mermaid's own
parser (in headless Chromium), its SVG laid out by Graphviz, the HTML page, and the command end to end."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from blueprint.tools.errors import UsageError
from blueprint.tools.graph import StackGraph, build_graph, to_html, to_mermaid, to_svg
from blueprint.tools.graph.model import ACCESS, NETWORK, Edge, Node
from blueprint.tools.graph.style import node_status, short_ids
from blueprint.tools.preview.plan import Plan
from components.roles import BuiltInRole
from tests.conftest import REPO, SHIPPED_STACKS, preview_stack

PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
WORKSPACE = "azure-native:machinelearningservices:Workspace"
ALL_STACKS = (*SHIPPED_STACKS, "shared", "bootstrap", "prod-lz")
MERMAID_DIR = REPO / "tests" / "mermaid"
MERMAID_JS = MERMAID_DIR / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def prod() -> StackGraph:
    return build_graph(preview_stack("prod"))


def edges_from(graph: StackGraph, source: str, kind: str, label: str | None = None) -> list[Edge]:
    return [e for e in graph.edges if e.source == source and e.kind == kind and (label is None or e.label == label)]


# --- the model --------------------------------------------------------------------------------------------------


def test_prod_private_endpoints_sit_in_their_subnet_with_their_dns_zones(prod):
    plan = preview_stack("prod")
    endpoints = plan.of_type(PRIVATE_ENDPOINT)
    assert len(endpoints) >= 5
    for endpoint in endpoints:
        subnets = edges_from(prod, endpoint.urn, NETWORK, "in subnet")
        assert [prod.node(e.target).label.split("\n")[0] for e in subnets] == ["subnet"], endpoint.name
        zones = [e for e in edges_from(prod, endpoint.urn, NETWORK, "DNS zone")]
        assert zones and all(prod.node(e.target).label.startswith("private DNS zone") for e in zones), endpoint.name
        for zone in zones:  # each zone is linked to the virtual network the subnet belongs to
            (link,) = edges_from(prod, zone.target, NETWORK, "linked to")
            assert prod.node(link.target).label.startswith("virtual network")
        groups = [g for c in endpoint.inputs["privateLinkServiceConnections"] for g in c["groupIds"]]
        targets = [e for e in edges_from(prod, endpoint.urn, NETWORK) if e.label == ", ".join(sorted(groups))]
        assert len(targets) == 1, f"{endpoint.name}: one line to the resource it exposes ({groups})"


def test_landing_zone_endpoints_reach_the_brought_subnet_and_the_hub_zones():
    """prod-lz brings its subnet and uses a hub's private DNS zones: boxes outside the stack, named from their IDs."""
    plan = preview_stack("prod-lz")
    graph = build_graph(plan)
    for endpoint in plan.of_type(PRIVATE_ENDPOINT):
        (subnet,) = edges_from(graph, endpoint.urn, NETWORK, "in subnet")
        assert subnet.target == f"arm:{endpoint.inputs['subnet']['id'].lower()}"
        assert graph.node(subnet.target).label == "subnet (outside the stack)\nsnet-ml-pe"
        zones = edges_from(graph, endpoint.urn, NETWORK, "DNS zone")
        assert zones and all(graph.node(z.target).group == ("outside the stack", "resource group rg-hub-dns") for z in zones)


def test_prod_managed_network_shows_every_outbound_rule(prod):
    workspace = only_of(preview_stack("prod"), WORKSPACE)
    rules = workspace.inputs["managedNetwork"]["outboundRules"]
    network_key = f"{workspace.urn}#managed-network"
    assert prod.node(network_key).label == "managed network\nAllowOnlyApprovedOutbound"
    fqdns = sorted(r["destination"] for r in rules.values() if r["type"] == "FQDN")
    assert fqdns, "prod allows package mirrors by name"
    shown = sorted(prod.node(e.target).label.split("\n")[1] for e in edges_from(prod, network_key, NETWORK, "allows"))
    assert shown == fqdns
    endpoints = [r["destination"]["serviceResourceId"] for r in rules.values() if r["type"] == "PrivateEndpoint"]
    outside = [e.target for e in edges_from(prod, network_key, NETWORK) if e.label.startswith("outbound PrivateEndpoint")]
    assert sorted(outside) == sorted(f"arm:{i.lower()}" for i in endpoints)
    assert all(prod.node(key).kind == "external" for key in outside)


def test_every_role_assignment_is_an_access_line_labelled_with_its_role(prod):
    plan = preview_stack("prod")
    names = {role.definition_guid: role.value for role in BuiltInRole}
    assignments = plan.of_type(ROLE_ASSIGNMENT)
    assert len(assignments) >= 20
    for assignment in assignments:
        (edge,) = [e for e in prod.edges if assignment.urn in e.resources]
        assert edge.kind == ACCESS
        role = names[assignment.inputs["roleDefinitionId"].rsplit("/", 1)[1]]
        assert role in edge.label.split(", "), (assignment.name, edge.label)
        principal = assignment.property_dependencies["principalId"]
        assert [edge.source] == principal, assignment.name
    groups = {n.key for n in prod.nodes if n.label.startswith("Entra group")}
    assert len(groups) == 4 and all(edges_from(prod, g, ACCESS) for g in groups), "each Entra group holds roles"


def test_dev_public_tier_has_no_private_network():
    dev = build_graph(preview_stack("dev"))
    assert not [n for n in dev.nodes if n.label.startswith(("private endpoint", "subnet", "private DNS zone"))]
    assert not [e for e in dev.edges if e.label in ("in subnet", "DNS zone", "linked to")]
    assert [e for e in dev.edges if e.kind == ACCESS], "the public tier still grants roles"


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_every_resource_is_a_box_or_a_line(stack):
    """Nothing is dropped silently: each cloud resource of the plan is a box, folded into one, or a line."""
    plan = preview_stack(stack)
    graph = build_graph(plan)
    drawn = {urn for node in graph.nodes for urn in node.resources} | {urn for edge in graph.edges for urn in edge.resources}
    missing = sorted(r.urn for r in plan.resources if r.custom and r.urn not in drawn)
    assert not missing
    keys = {node.key for node in graph.nodes}
    assert all(e.source in keys and e.target in keys for e in graph.edges)


def test_prod_stays_readable():
    """About 150 resources, drawn as well under 100 boxes: configuration becomes lines and notes; and the Mermaid text
    stays within what Mermaid draws by default (50,000 characters, 500 lines), as GitHub uses it."""
    plan = preview_stack("prod")
    graph = build_graph(plan)
    assert len([r for r in plan.resources if r.custom]) > 120
    assert len(graph.nodes) < 90
    assert len(to_mermaid(graph)) < 50_000 and len(graph.edges) < 500


def test_graph_does_not_depend_on_registration_order():
    plan = preview_stack("prod")
    shuffled = list(plan.resources)
    random.Random(16).shuffle(shuffled)
    again = build_graph(Plan(plan.project, plan.stack, shuffled, plan.outputs))
    graph = build_graph(plan)
    assert again == graph
    assert to_mermaid(again) == to_mermaid(graph)
    assert to_svg(again) == to_svg(graph)


def test_restricted_to_keeps_a_change_and_its_neighbours(prod):
    plan = preview_stack("prod")
    endpoint = next(r for r in plan.of_type(PRIVATE_ENDPOINT) if r.name.endswith("-vault"))
    around = prod.restricted_to([endpoint.urn])
    labels = sorted(n.label.split("\n")[0] for n in around.nodes)
    assert labels == ["key vault", "private DNS zone", "private endpoint", "subnet"]
    assert all(endpoint.urn in (e.source, e.target) for e in around.edges)
    alone = prod.restricted_to([endpoint.urn], neighbours=False)
    assert [n.key for n in alone.nodes] == [endpoint.urn] and not alone.edges
    # a resource drawn as a line (a role assignment) brings both ends
    assignment = plan.of_type(ROLE_ASSIGNMENT)[0]
    (edge,) = prod.restricted_to([assignment.urn], neighbours=False).edges
    assert assignment.urn in edge.resources


def test_union_with_the_base_gives_removed_resources_a_box():
    plan = preview_stack("prod")
    endpoint = next(r for r in plan.of_type(PRIVATE_ENDPOINT) if r.name.endswith("-vault"))
    gone = {endpoint.urn} | {r.urn for r in plan.resources if endpoint.urn in r.dependencies}
    head = build_graph(Plan(plan.project, plan.stack, [r for r in plan.resources if r.urn not in gone], plan.outputs))
    assert not head.has_node(endpoint.urn)
    both = head.union(build_graph(plan))
    assert both == build_graph(plan)
    status = dict.fromkeys(sorted(gone), "removed")
    text = to_mermaid(both.restricted_to(status), status=status)
    assert f"class {short_ids([endpoint.urn], 'n')[endpoint.urn]} removed" in text


def test_short_ids_are_safe_stable_and_distinct():
    keys = [f"urn:pulumi:x::p::t::name-{i}" for i in range(500)]
    ids = short_ids(keys, "n")
    assert len(set(ids.values())) == 500 and all(i.isalnum() for i in ids.values())
    assert short_ids(keys[:10], "n") == {k: ids[k] for k in keys[:10]}


# --- Mermaid, checked by Mermaid's own parser ----------------------------------------------------------------


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    assert found, "headless Chromium is missing: run scripts/setup.sh --dev (scripts/system-packages.sh installs it)"
    return found


def mermaid_errors(texts: list[str]) -> list[str | None]:
    """Mermaid's ``parse`` then ``render`` of each text in headless Chromium: ``None`` for a diagram Mermaid accepts,
    its error message otherwise. The pinned Mermaid (tests/mermaid/) must be installed: ``scripts/setup.sh --dev``."""
    assert MERMAID_JS.is_file(), f"{MERMAID_JS.relative_to(REPO)} is missing: run scripts/setup.sh --dev (npm ci in tests/mermaid)"
    with tempfile.TemporaryDirectory(prefix="mermaid-check-") as scratch:
        page = Path(scratch) / "check.html"
        data = json.dumps(texts).replace("</", "<\\/")
        page.write_text(
            f"""<!DOCTYPE html><html><head><meta charset="utf-8"><script src="{MERMAID_JS.as_uri()}"></script></head><body>
<script id="input" type="application/json">{data}</script><pre id="out">pending</pre>
<script>
mermaid.initialize({{startOnLoad: false, securityLevel: "strict"}});
(async () => {{
  const results = [];
  let index = 0;
  for (const text of JSON.parse(document.getElementById("input").textContent)) {{
    try {{ await mermaid.parse(text); await mermaid.render("check" + index++, text); results.push(null); }}
    catch (error) {{ results.push(String((error && error.message) || error)); }}
  }}
  document.getElementById("out").textContent = "@@RESULT@@" + JSON.stringify(results) + "@@DONE@@";
}})();
</script></body></html>""",
            encoding="utf-8",
        )
        command = [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", f"--user-data-dir={scratch}/profile", "--allow-file-access-from-files",
            "--virtual-time-budget=60000", "--dump-dom", page.as_uri(),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    out = result.stdout
    assert "@@RESULT@@" in out, f"Chromium did not run the check (exit {result.returncode}): {result.stderr[-2000:]}"
    import html

    return json.loads(html.unescape(out.split("@@RESULT@@", 1)[1].split("@@DONE@@", 1)[0]))


def awkward_graph() -> StackGraph:
    """Names with every character Mermaid's syntax gives a meaning to."""
    nasty = 'a "quoted" [bracket] {brace} (paren) #hash; <tag> & | pipe `tick` --> end; ünïcode\\'
    nodes = (
        Node("urn:a", f"kind\n{nasty}", "ml", ("resource group rg", "Component [x] #1")),
        Node("urn:b", "end", "identity", ("Entra ID",), ("urn:b",), ("note <b>",)),
        Node("urn:c", "subgraph", "data", ("resource group rg",)),
    )
    edges = (Edge("urn:b", "urn:a", ACCESS, nasty, ("urn:r",)), Edge("urn:a", "urn:c", NETWORK, "end"))
    return StackGraph("odd", nodes, edges)


def test_mermaid_parser_accepts_every_stack_and_rejects_nonsense():
    texts = [to_mermaid(build_graph(preview_stack(stack))) for stack in ALL_STACKS]
    prod = build_graph(preview_stack("prod"))
    plan = preview_stack("prod")
    status = {plan.of_type(PRIVATE_ENDPOINT)[0].urn: "added", plan.of_type(ROLE_ASSIGNMENT)[0].urn: "removed", plan.of_type(WORKSPACE)[0].urn: "changed"}
    texts.append(to_mermaid(prod.restricted_to(status), status=status))
    texts.append(to_mermaid(awkward_graph(), status={"urn:r": "changed", "urn:c": "added"}))
    broken = "flowchart LR\n    a[\"open\" --> b"
    errors = mermaid_errors([*texts, *documented_diagrams().values(), broken])
    assert errors[: len(texts)] == [None] * len(texts)
    assert dict(zip(documented_diagrams(), errors[len(texts) : -1])) == dict.fromkeys(documented_diagrams()), "the docs' diagrams draw"
    assert errors[-1], "the check must be able to fail"


def documented_diagrams() -> dict[str, str]:
    """Every ```mermaid block of the README and docs/, by file and position: GitHub must be able to draw them too."""
    found = {}
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        blocks = re.findall(r"^```mermaid\n(.*?)^```", path.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)
        found |= {f"{path.relative_to(REPO)}#{i}": block for i, block in enumerate(blocks)}
    return found


def test_mermaid_styles_changed_boxes_and_lines(prod):
    plan = preview_stack("prod")
    endpoint = plan.of_type(PRIVATE_ENDPOINT)[0]
    single = next(e for e in prod.edges if e.kind == ACCESS and len(e.resources) == 1)
    (assignment_urn,) = single.resources
    text = to_mermaid(prod, status={endpoint.urn: "added", assignment_urn: "removed"})
    ids = short_ids((n.key for n in prod.nodes), "n")
    assert f"class {ids[endpoint.urn]} added" in text
    assert "classDef added" in text and "classDef removed" not in text, "a removed line is coloured, no box is removed"
    assert f"linkStyle {prod.edges.index(single)} stroke:#cf222e,stroke-width:3px" in text
    merged = next(e for e in prod.edges if e.kind == ACCESS and len(e.resources) == 2)
    partly = to_mermaid(prod, status={merged.resources[0]: "removed"})  # one of two roles on a line: the line changed
    assert f"linkStyle {prod.edges.index(merged)} stroke:#9a6700,stroke-width:3px" in partly
    assert "classDef added" not in to_mermaid(prod)
    assert not text.startswith("```")
    with pytest.raises(ValueError, match="status must be one of"):
        to_mermaid(prod, status={endpoint.urn: "created"})


def test_status_of_a_box_follows_what_it_stands_for(prod):
    plan = preview_stack("prod")
    workspace, storage = only_of(plan, WORKSPACE), only_of(plan, "azure-native:storage:StorageAccount")
    blob = only_of(plan, "azure-native:storage:BlobServiceProperties")
    managed = prod.node(f"{workspace.urn}#managed-network")
    assert node_status(managed, {workspace.urn: "added"}) == "added", "a part of the workspace is new with it"
    assert node_status(prod.node(storage.urn), {blob.urn: "added"}) == "changed", "new settings change the account"
    assert node_status(prod.node(storage.urn), {storage.urn: "removed", blob.urn: "removed"}) == "removed"
    assert node_status(prod.node(storage.urn), {workspace.urn: "changed"}) is None


def test_mermaid_labels_are_escaped():
    text = to_mermaid(awkward_graph())
    for raw in ('"quoted"', "[bracket]", "#hash;", "<tag>", "| pipe", "-->  end"):
        assert raw not in text
    assert "#quot;" not in text and "#34;quoted#34;" in text


# --- SVG and HTML ----------------------------------------------------------------------------------------------


def test_svg_is_well_formed_with_one_node_per_box(prod):
    svg = to_svg(prod)
    root = ElementTree.fromstring(svg)
    groups = root.iter(f"{SVG}g")
    classes = [g.get("class") for g in groups]
    assert classes.count("node") == len(prod.nodes)
    assert classes.count("edge") == len(prod.edges)
    assert classes.count("cluster") == len(prod.groups())


def test_svg_marks_the_status_of_changed_boxes(prod):
    plan = preview_stack("prod")
    endpoint = plan.of_type(PRIVATE_ENDPOINT)[0]
    plain, marked = to_svg(prod), to_svg(prod, status={endpoint.urn: "added"})
    assert "#d4f8d4" in marked and "#d4f8d4" not in plain


def test_html_is_standalone(prod):
    page = to_html(prod, title='prod <"stack">')
    assert page.startswith("<!DOCTYPE html>") and "<title>prod &lt;&quot;stack&quot;&gt;</title>" in page
    assert "<script" not in page and "<link" not in page and "src=" not in page and "@import" not in page
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert page.count('class="node"') == len(prod.nodes)
    for word in ("access: principal to scope", "network path", "Azure ML"):
        assert word in page


def test_svg_without_graphviz_is_bad_usage(prod, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(UsageError, match="install it"):
        to_svg(prod)
    with pytest.raises(UsageError, match="Graphviz"):
        to_html(prod, title="prod")
    assert to_mermaid(prod).startswith("flowchart LR")


# --- the command -----------------------------------------------------------------------------------------------


def blueprint(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blueprint", *args], cwd=REPO, capture_output=True, text=True, timeout=180, env=env)


@pytest.mark.e2e
@pytest.mark.parametrize("form", ["mermaid", "svg", "html"])
def test_graph_command_writes_each_format_deterministically(form, tmp_path):
    first, second = tmp_path / "first" / f"prod.{form}", tmp_path / f"second.{form}"
    for target in (first, second):
        result = blueprint("graph", "prod", "--format", form, "--output", str(target))
        assert result.returncode == 0, result.stderr
        assert f"written to {target}" in result.stdout
    text = first.read_text(encoding="utf-8")
    assert first.read_bytes() == second.read_bytes()
    expected = {"mermaid": "flowchart LR\n", "svg": "<?xml", "html": "<!DOCTYPE html>"}[form]
    assert text.startswith(expected)
    if form == "svg":
        ElementTree.fromstring(text)


@pytest.mark.e2e
def test_graph_command_prints_mermaid_by_default():
    result = blueprint("graph", "dev")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("flowchart LR\n") and "Entra group" in result.stdout


@pytest.mark.e2e
def test_graph_command_refuses_bad_input(tmp_path):
    unknown = blueprint("graph", "nosuch")
    assert unknown.returncode == 2 and "no such stack file" in unknown.stderr and "Traceback" not in unknown.stderr
    bad_format = blueprint("graph", "dev", "--format", "png")
    assert bad_format.returncode == 2 and "invalid choice" in bad_format.stderr
    stack_file = REPO / "stacks" / "Pulumi.dev.yaml"
    before = stack_file.read_bytes()
    into_input = blueprint("graph", "dev", "--output", str(stack_file))
    assert into_input.returncode == 2 and "--output" in into_input.stderr and "stack file" in into_input.stderr
    assert stack_file.read_bytes() == before


@pytest.mark.e2e
def test_graph_command_without_graphviz_says_to_install_it(tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    target = tmp_path / "prod.svg"
    env = {"PATH": str(bare), "HOME": str(tmp_path)}
    for form in ("svg", "html"):
        result = blueprint("graph", "prod", "--format", form, "--output", str(target), env=env)
        assert result.returncode == 2, result.stderr
        assert "Graphviz" in result.stderr and "apt-get install graphviz" in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()
    assert blueprint("graph", "dev", env=env).returncode == 0, "Mermaid needs no Graphviz"


def only_of(plan: Plan, type_token: str):
    (found,) = plan.of_type(type_token)
    return found
