"""Environment templates as the seeding reads them: content versions and clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from blueprint.program.config.errors import ConfigError
from blueprint.program.environment_templates import load_environment_templates, package_hosts
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


# --- The hosts an image build downloads from: what every managed network allows (pkg-<host> rules) ---


def hosts_of(root: Path, conda: str) -> dict[str, tuple[str, ...]]:
    """The package hosts when every template's conda file is ``conda``."""
    for path in (root / "environments").glob("*/conda.y*ml"):
        path.write_text(conda)
    return package_hosts(load_environment_templates(root, root.parent))


def test_the_shipped_environments_need_conda_forge_anaconda_defaults_and_pypi():
    """conda-forge by name (conda.anaconda.org), Anaconda's defaults (no nodefaults), and PyPI for the pip sections."""
    hosts = package_hosts(load_environment_templates(TEMPLATES, REPO))
    assert set(hosts) == {"conda.anaconda.org", "repo.anaconda.com", "pypi.org", "files.pythonhosted.org"}
    assert hosts["pypi.org"] == tuple(sorted(t.name for t in load_environment_templates(TEMPLATES, REPO)))


def test_nodefaults_drops_anacondas_repository_and_no_pip_drops_pypi(templates):
    assert set(hosts_of(templates, "channels: [conda-forge, nodefaults]\ndependencies: [python=3.11]\n")) == {"conda.anaconda.org"}


def test_url_channels_channel_prefixes_and_private_indexes_give_their_own_hosts(templates):
    conda = (
        "channels: ['https://conda.example.org/main', nodefaults]\n"
        "dependencies:\n  - pytorch::torch\n  - pip\n"
        "  - pip: ['--index-url https://pkgs.example.com/simple', '--extra-index-url=https://extra.example.net/simple', numpy]\n"
    )
    # pytorch:: is a channel by name (conda.anaconda.org); a replaced index means PyPI is not needed.
    assert set(hosts_of(templates, conda)) == {"conda.example.org", "conda.anaconda.org", "pkgs.example.com", "extra.example.net"}


def test_a_conda_file_that_cannot_be_read_is_named(templates):
    with pytest.raises(ConfigError) as caught:
        hosts_of(templates, "channels: conda-forge\n")
    assert caught.value.source.startswith("ml_templates/environments/")
    assert str(caught.value.issues[0]) == 'conda_file: channels: expected a list of channel names or URLs, found string "conda-forge"'
