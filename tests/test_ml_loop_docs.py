"""docs/ml-loop.md and the README describe the loop the code runs: its publisher table names what the wiring check
finds publishing, and its picture has every stage the issue of the loop names."""

from __future__ import annotations

import re

import pytest

from blueprint.tools.wiring import plan_publishers, read_project_wiring
from conftest import REPO, preview_stack

DOC = REPO / "docs" / "ml-loop.md"
KIND_OF_WORD = {"environment": "environments", "component": "components", "pipeline component": "components", "model": "models", "data": "data"}
#: The stages of the loop, in the words the picture uses.
STAGES = ("commit", "pull request", "training pipeline", "gate", "shared registry", "staging", "promotion pull request", "prod", "drift monitors", "retraining schedule")


def _published() -> set[tuple[str, str]]:
    wiring = read_project_wiring(REPO)
    assets = {(p.asset.kind, p.asset.name) for p in (*wiring.publishers, *wiring.workflow_assets)}
    for stack in ("shared", "staging", "prod"):
        assets |= {(p.asset.kind, p.asset.name) for p in plan_publishers(preview_stack(stack))}
    return assets


def _table_rows() -> list[tuple[list[str], str]]:
    text = DOC.read_text()
    section = text.split("## Who publishes what", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("Asset", "---"):
            names = [name for name in re.findall(r"`([^`]+)`", cells[0]) if "<" not in name]
            kind = re.sub(r"\s*\(.*\)$", "", cells[1]).removesuffix(", MLTable")
            rows.append((names, kind))
    return rows


def test_every_asset_the_table_names_has_the_publisher_the_check_finds() -> None:
    rows = _table_rows()
    assert len(rows) >= 5
    published = _published()
    for names, kind in rows:
        for name in names:
            assert (KIND_OF_WORD[kind], name) in published, f"docs/ml-loop.md: {kind} {name}: the wiring check finds no publisher"


@pytest.mark.parametrize("path", [REPO / "README.md", DOC], ids=["README", "ml-loop"])
def test_the_loop_is_a_picture_with_every_stage(path) -> None:
    blocks = re.findall(r"```mermaid\n(.*?)```", path.read_text(), re.DOTALL)
    assert blocks, f"{path.name}: no Mermaid picture of the loop"
    picture = blocks[0]
    assert picture.startswith("flowchart LR\n")
    labels = " ".join(a or b for a, b in re.findall(r'\["([^"]+)"\]|\{"([^"]+)"\}', picture)).lower().replace("<br/>", " ")
    for stage in STAGES:
        assert stage in labels, f"{path.name}: the picture has no {stage!r}"
    defined = set(re.findall(r"^\s*(\w+)[\[{]", picture, re.MULTILINE)) | set(re.findall(r"(?:-->|-\.->|--\s[^-]+-->|-\.\s[^.]+\.->)\s*(\w+)[\[{]", picture))
    for source, target in re.findall(r"^\s*(\w+)(?:\[[^\]]*\]|\{[^}]*\})?\s*(?:-->|-\.->|--\s[^-]+-->|-\.\s[^.]+\.->)\s*(\w+)", picture, re.MULTILINE):
        assert source in defined and target in defined, f"{path.name}: edge {source} -> {target} names a node with no label"
