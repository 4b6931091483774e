"""Environment templates as the seeding reads them: content versions and clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from blueprint.program.config.errors import ConfigError
from blueprint.program.environment_templates import load_environment_templates
from tests.conftest import REPO

TEMPLATES = REPO / "ml_templates"


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    target = tmp_path / "ml_templates"
    shutil.copytree(TEMPLATES / "environments", target / "environments")
    return target


def versions(root: Path) -> dict[str, str]:
    return {t.name: t.version for t in load_environment_templates(root, root.parent)}


def test_shipped_environments_load_with_their_conda_files():
    loaded = load_environment_templates(TEMPLATES, REPO)
    assert len(loaded) >= 3
    for template in loaded:
        assert template.image and "dependencies" in template.conda_file
        assert template.source.startswith("ml_templates/environments/")
        assert len(template.version) == 12


def test_changing_a_conda_file_changes_only_that_version(templates):
    before = versions(templates)
    conda = next((templates / "environments").glob("*/conda.y*ml"))
    name = next(t.name for t in load_environment_templates(templates, templates.parent) if Path(templates.parent / t.source).parent == conda.parent)
    conda.write_text(conda.read_text() + "# a changed comment is a changed file\n")
    after = versions(templates)
    assert after[name] != before[name]
    assert {k: v for k, v in after.items() if k != name} == {k: v for k, v in before.items() if k != name}


def test_unchanged_templates_keep_their_versions(templates):
    assert versions(templates) == versions(templates) == versions(TEMPLATES)


def test_a_version_key_is_refused_because_content_decides(templates):
    environment = next((templates / "environments").glob("*/environment.y*ml"))
    environment.write_text(environment.read_text() + "version: 3\n")
    with pytest.raises(ConfigError) as caught:
        load_environment_templates(templates, templates.parent)
    assert caught.value.source.endswith(str(environment.relative_to(templates.parent)))
    assert str(caught.value.issues[0]).startswith("version: expected one of the published keys")


def test_a_missing_conda_file_is_named(templates):
    conda = next((templates / "environments").glob("*/conda.y*ml"))
    conda.unlink()
    with pytest.raises(ConfigError, match=r"conda_file: expected a conda file next to the environment, found no file at"):
        load_environment_templates(templates, templates.parent)
