"""``blueprint fork``: a new project's stack from an existing one, validated, previewed and policy-checked first."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from blueprint.tools.errors import UsageError
from blueprint.tools.fork import ForkRequest, apply_fork, forked_stack_file
from blueprint.program.project import load_project
from blueprint.tools.stack_files import dump_document, load_document
from tests.conftest import REPO
from tests.test_cli import blueprint

FRAUD = ("--project", "fraud", "--owner", "fraud-team", "--cost-center", "CC-2042", "--repository", "example-org/fraud-detection")


@pytest.fixture
def project(project_copy: Path) -> Path:
    """A project copy that can run every stack: the shared stack's templates and the policy pack beside it."""
    (project_copy / "ml_templates").symlink_to(REPO / "ml_templates")
    (project_copy / "policies").symlink_to(REPO / "policies")
    return project_copy


def listing(directory: Path) -> dict[str, bytes]:
    """Every file in ``directory`` (hidden ones too) with its content: what 'nothing written' is checked against."""
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


@pytest.mark.e2e
def test_fork_prod_creates_a_stack_whose_preview_passes_the_policy_pack(project):
    result = blueprint("fork", "prod", "fraud-prod", *FRAUD, cwd=project)
    assert result.returncode == 0, result.stderr
    assert "Forked stack prod into stacks/Pulumi.fraud-prod.yaml" in result.stdout
    assert "mlplatform:namingPrefix: mlp -> fraud" in result.stdout
    assert "policy pack: no mandatory violation" in result.stdout
    assert "pulumi stack init fraud-prod --secrets-provider" in result.stdout
    assert "--policy-pack-config policies/config/prod.json" in result.stdout
    # The README shows this very command's output: it must stay what the command prints.
    readme = (REPO / "README.md").read_text()
    shown = readme.split("```\nForked stack prod into", 1)[1].split("```", 1)[0]
    assert ("Forked stack prod into" + shown).strip() in result.stdout

    written = project / "stacks" / "Pulumi.fraud-prod.yaml"
    config = yaml.safe_load(written.read_text())["config"]
    assert config["mlplatform:namingPrefix"] == "fraud"
    assert config["mlplatform:tags"] == {
        "owner": "fraud-team", "costCenter": "CC-2042", "environment": "prod",
        "dataClassification": "confidential", "project": "fraud",
    }
    assert config["mlplatform:ci"] == {
        "repository": "example-org/fraud-detection", "environments": ["prod"], "previewEnvironment": "prod-preview"}
    source = yaml.safe_load((project / "stacks" / "Pulumi.prod.yaml").read_text())["config"]
    untouched = {key for key in source if key not in ("mlplatform:namingPrefix", "mlplatform:tags", "mlplatform:ci")}
    assert {key: config[key] for key in untouched} == {key: source[key] for key in untouched}

    preview = blueprint("preview", "fraud-prod", "--json", str(project / "fraud.json"), cwd=project)
    assert preview.returncode == 0, preview.stderr
    plan = json.loads((project / "fraud.json").read_text())
    assert plan["stack"] == "fraud-prod"
    assert not [f for f in plan["policies"] if f["enforcementLevel"] == "mandatory"]
    workspaces = [r for r in plan["resources"] if r["type"] == "azure-native:machinelearningservices:Workspace"]
    assert workspaces and all("fraud" in r["inputs"]["workspaceName"] for r in workspaces)


def test_the_fork_keeps_the_source_file_as_written(project):
    """Comments and layout survive: only the re-derived lines change, and the origin is noted under the schema line."""
    text, _ = forked_stack_file(load_project(project), ForkRequest(source="prod", stack="fraud-prod", project="fraud", owner="fraud-team"))
    source = (project / "stacks" / "Pulumi.prod.yaml").read_text().splitlines()
    lines = text.splitlines()
    assert lines[0] == source[0] and lines[0].startswith("# yaml-language-server:")
    assert lines[1].startswith("# Forked from stack prod with `blueprint fork`")
    assert [line for line in source if line.lstrip().startswith("#")] == [line for line in lines if line.lstrip().startswith("#") and "Forked from" not in line]
    changed = set(lines) - set(source)
    assert changed == {
        lines[1], "  mlplatform:namingPrefix: fraud", "    owner: fraud-team", "    project: fraud",
        "    environments: [fraud-prod]",  # same repository: GitHub environments of its own
        "    previewEnvironment: fraud-prod-preview",
    }


@pytest.mark.e2e
def test_running_it_again_refuses_to_overwrite(project):
    assert blueprint("fork", "prod", "fraud-prod", *FRAUD, cwd=project).returncode == 0
    before = listing(project / "stacks")
    again = blueprint("fork", "prod", "fraud-prod", "--project", "other", cwd=project)
    assert again.returncode == 2
    assert "stacks/Pulumi.fraud-prod.yaml: already exists; refusing to overwrite it" in again.stderr
    assert "Traceback" not in again.stderr
    assert listing(project / "stacks") == before


@pytest.mark.parametrize("stack", ["../evil", "-dash", ".hidden", "with space", "a/b", "x" * 101, ""])
def test_a_bad_stack_name_exits_2_and_writes_nothing(project, capsys, stack):
    from blueprint.tools.cli import main

    before = listing(project / "stacks")
    assert main(["fork", "--project", "fraud", "--program", str(project), "--", "prod", stack]) == 2
    err = capsys.readouterr().err
    assert f"stack name {stack!r}: expected 1-100 letters, digits" in err
    assert listing(project / "stacks") == before


@pytest.mark.parametrize("name", ["Fraud", "f", "fraud_detection", "fraud-det", "1fraud", "abcdefghijklm"])
def test_a_project_name_azure_would_refuse_exits_2_and_writes_nothing(project, capsys, name):
    from blueprint.tools.cli import main

    before = listing(project / "stacks")
    assert main(["fork", "prod", "fraud-prod", "--project", name, "--program", str(project)]) == 2
    err = capsys.readouterr().err
    assert f"--project {name!r}: expected 2-12 lowercase letters or digits, starting with a letter" in err
    assert "mlplatform:namingPrefix" in err
    assert listing(project / "stacks") == before


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("--location", "mars"), 'mlplatform:location: expected an Azure region name such as westeurope'),
        (("--owner", "ab"), 'mlplatform:tags.owner: expected a string of 3 to 256 characters, found string "ab"'),
        (("--repository", "not a repo"), "mlplatform:ci.repository: expected a GitHub repository as owner/name"),
    ],
)
def test_a_bad_option_value_is_reported_by_key_and_nothing_is_written(project, capsys, option, message):
    from blueprint.tools.cli import main

    before = listing(project / "stacks")
    assert main(["fork", "prod", "fraud-prod", "--project", "fraud", *option, "--program", str(project)]) == 2
    err = capsys.readouterr().err
    assert "stacks/Pulumi.fraud-prod.yaml: invalid stack configuration" in err
    assert message in err and "(nothing written)" in err
    assert listing(project / "stacks") == before


def test_an_unknown_source_or_the_same_name_is_refused(project, capsys):
    from blueprint.tools.cli import main

    assert main(["fork", "nope", "fraud-prod", "--project", "fraud", "--program", str(project)]) == 2
    assert "stacks/Pulumi.nope.yaml: no such stack file to fork (stacks here: " in capsys.readouterr().err
    assert main(["fork", "prod", "prod", "--project", "fraud", "--program", str(project)]) == 2
    assert "a fork needs a new stack name" in capsys.readouterr().err


@pytest.mark.e2e
def test_a_fork_that_would_violate_a_mandatory_policy_is_not_written(project, tmp_path):
    """With every policy mandatory, dev's allow-listed public endpoints violate the pack: exit 1, no file."""
    pack = tmp_path / "strict-pack"
    shutil.copytree(REPO / "policies", pack, ignore=shutil.ignore_patterns("__pycache__"))
    (pack / "config" / "dev.json").write_text("{}\n")
    before = listing(project / "stacks")
    result = blueprint("fork", "dev", "fraud-dev", "--project", "fraud", "--policy-pack", str(pack), cwd=project)
    assert result.returncode == 1, result.stderr
    assert "would violate" in result.stderr and "nothing written" in result.stderr
    assert "mandatory" in result.stdout
    assert listing(project / "stacks") == before


def _document(tmp_path: Path, text: str):
    path = tmp_path / "Pulumi.src.yaml"
    path.write_text(text)
    return load_document(path, path.name)


def test_what_only_the_source_can_use_is_dropped_and_reported(tmp_path):
    document = _document(tmp_path, """\
secretsprovider: azurekeyvault://kv-old.vault.azure.net/keys/pulumi
encryptedkey: c2VjcmV0
config:
  mlplatform:namingPrefix: mlp
  mlplatform:resourceGroupName: rg-shared-by-hand
  mlplatform:tags:
    owner: team
    environment: prod
  mlplatform:monitoring:
    webhooks:
      - name: hook
        uri:
          secure: AAABAExampleCiphertext
  other:token:
    secure: AAABAOther
""")
    changes = apply_fork(document, "mlplatform", ForkRequest(source="src", stack="new", project="fraud"))
    text = dump_document(document)
    assert "secretsprovider" not in text and "encryptedkey" not in text and "secure" not in text
    assert "rg-shared-by-hand" not in text
    assert any(item.startswith("mlplatform:monitoring.webhooks[0] (it holds a value encrypted") for item in changes.dropped)
    assert any(item.startswith("other:token (encrypted") for item in changes.dropped)
    assert any("resourceGroupName 'rg-shared-by-hand'" in item for item in changes.dropped)
    assert any(item.startswith("secretsprovider") for item in changes.dropped)


def test_bare_keys_stay_bare_and_ci_is_added_when_the_source_has_none(tmp_path):
    document = _document(tmp_path, "config:\n  namingPrefix: mlp\n  tags:\n    environment: dev\n")
    apply_fork(document, "mlplatform", ForkRequest(source="src", stack="new", project="fraud", repository="org/repo", location="northeurope"))
    config = yaml.safe_load(dump_document(document))["config"]
    assert config == {
        "namingPrefix": "fraud",
        "tags": {"environment": "dev", "project": "fraud"},
        "mlplatform:location": "northeurope",
        "mlplatform:ci": {"repository": "org/repo", "environments": ["dev"]},
    }
    assert "mlplatform:ci:\n    repository: org/repo\n    environments: [dev]\n" in dump_document(document)


def test_a_fork_in_the_same_repository_gets_github_environments_of_its_own(tmp_path):
    """One GitHub environment holds one identity (AZURE_CLIENT_ID): the source's deploy, preview and models
    environments stay the source's."""
    text = ("config:\n  mlplatform:ci:\n    repository: org/repo\n    environments: [prod]\n"
            "    previewEnvironment: prod-preview\n    modelsEnvironment: prod-models\n")
    for repository in (None, "org/repo"):
        document = _document(tmp_path, text)
        changes = apply_fork(document, "mlplatform", ForkRequest(source="prod", stack="fraud-prod", project="fraud", repository=repository))
        assert ("    environments: [fraud-prod]\n    previewEnvironment: fraud-prod-preview\n"
                "    modelsEnvironment: fraud-prod-models\n") in dump_document(document)
        assert ("mlplatform:ci.environments", ["prod"], ["fraud-prod"]) in changes.changed
        assert ("mlplatform:ci.previewEnvironment", "prod-preview", "fraud-prod-preview") in changes.changed


def test_an_existing_target_is_refused_before_anything_runs(project):
    (project / "stacks" / "Pulumi.taken.yaml").write_text("config: {}\n")
    with pytest.raises(UsageError, match="already exists; refusing to overwrite"):
        forked_stack_file(load_project(project), ForkRequest(source="prod", stack="taken", project="fraud"))


@pytest.mark.e2e
def test_a_region_without_prices_is_forked_and_previewed_with_a_note(project):
    """The price table covering fewer regions than Azure is no reason to refuse a valid stack."""
    result = blueprint("fork", "staging", "fraud-staging", "--project", "fraud", "--location", "swedencentral", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "Estimated cost: none: no prices for region 'swedencentral'" in result.stdout
    preview = blueprint("preview", "fraud-staging", cwd=project)
    assert preview.returncode == 0, preview.stderr
    assert "Cost: not estimated: no prices for region 'swedencentral'" in preview.stdout


def test_every_secret_in_lists_and_nested_mappings_is_dropped_and_plain_values_stay(tmp_path):
    """Two secrets and a plain value in one list: both secrets go (listed by their place in the source), the plain
    value stays; a list item holding a secret goes whole (without it, a webhook has no uri), and a list inside a kept
    item drops its own items only."""
    document = _document(tmp_path, """\
config:
  mlplatform:keys: [{secure: v1:one}, {secure: v1:two}, plain]
  mlplatform:monitoring:
    webhooks:
      - name: a
        uri: {secure: v1:a}
      - {secure: v1:whole}
      - name: b
        uri: https://b.example.com
  mlplatform:nested: {deep: {list: [keep, {secure: v1:x}, {inner: {secure: v1:y}, also: kept}]}}
  mlplatform:notsecret: {secure: 12}
  mlplatform:outer: [{name: kept, inner: [plain, {secure: v1:z}]}]
""")
    changes = apply_fork(document, "mlplatform", ForkRequest(source="src", stack="new", project="fraud"))
    config = yaml.safe_load(dump_document(document))["config"]
    assert config["mlplatform:keys"] == ["plain"]
    assert config["mlplatform:monitoring"]["webhooks"] == [{"name": "b", "uri": "https://b.example.com"}]
    assert config["mlplatform:nested"] == {"deep": {"list": ["keep"]}}
    assert config["mlplatform:outer"] == [{"name": "kept", "inner": ["plain"]}]
    assert config["mlplatform:notsecret"] == {"secure": 12}  # not a ciphertext: Pulumi would pass it on as it is
    assert [item.split(" (")[0] for item in changes.dropped] == [
        "mlplatform:keys[0]", "mlplatform:keys[1]", "mlplatform:monitoring.webhooks[0]", "mlplatform:monitoring.webhooks[1]",
        "mlplatform:nested.deep.list[1]", "mlplatform:nested.deep.list[2]", "mlplatform:outer[0].inner[1]",
    ]
    webhook = changes.dropped[2]
    assert "after `pulumi stack init`, add it again with:\n" in webhook  # at the end of the fork's list: after b
    assert "pulumi config set --stack new --path 'mlplatform:monitoring.webhooks[1].name' a\n" in webhook
    assert webhook.endswith("pulumi config set --stack new --secret --path 'mlplatform:monitoring.webhooks[1].uri' '<uri>')")


def test_a_fork_drops_and_lists_nested_secrets_end_to_end(project, capsys):
    from blueprint.tools.cli import main

    source = project / "stacks" / "Pulumi.dev.yaml"
    source.write_text(source.read_text()
                      .replace("emails: [ml-platform-alerts@example.com]", "emails: [{secure: v1:AAAB1}, {secure: v1:AAAB2}, ml-platform-alerts@example.com]")
                      .replace("    dataClassification: internal\n", "    dataClassification: internal\n    contact: {secure: v1:AAABContact}\n"))
    assert main(["fork", "dev", "fraud-dev", "--project", "fraud", "--program", str(project)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    for where in ("mlplatform:tags.contact", "mlplatform:monitoring.emails[0]", "mlplatform:monitoring.emails[1]"):
        assert f"  dropped {where} (encrypted with the source stack's key" in out
    written = yaml.safe_load((project / "stacks" / "Pulumi.fraud-dev.yaml").read_text())["config"]
    assert written["mlplatform:monitoring"]["emails"] == ["ml-platform-alerts@example.com"]
    assert "contact" not in written["mlplatform:tags"]


def test_a_prod_fork_with_an_encrypted_webhook_uri_drops_the_webhook_and_says_how_to_add_it(project, capsys):
    """The one place a secret is allowed: the fork used to keep the webhook without its uri and fail validation."""
    from blueprint.tools.cli import main

    source = project / "stacks" / "Pulumi.prod.yaml"
    source.write_text(source.read_text().replace("        uri: https://alerts.example.com/azure-monitor\n", "        uri: {secure: AAEAAQ==}\n"))
    assert main(["fork", "prod", "fraud-prod", "--project", "fraud", "--program", str(project)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert (
        "  dropped mlplatform:monitoring.webhooks[0] (it holds a value encrypted with the source stack's key, and is not valid without it; "
        "after `pulumi stack init`, add it again with:\n"
        "      pulumi config set --stack fraud-prod --path 'mlplatform:monitoring.webhooks[0].name' incident-hook\n"
        "      pulumi config set --stack fraud-prod --secret --path 'mlplatform:monitoring.webhooks[0].uri' '<uri>')\n"
    ) in out
    written = yaml.safe_load((project / "stacks" / "Pulumi.fraud-prod.yaml").read_text())["config"]
    assert written["mlplatform:monitoring"]["webhooks"] == []


def test_a_source_changed_while_the_fork_was_checked_is_not_forked(project, capsys, monkeypatch):
    """The fork is of the file as it was read: if it changed meanwhile, nothing is written and the fork says so."""
    from blueprint.tools import fork
    from blueprint.tools.cli import main

    source = project / "stacks" / "Pulumi.dev.yaml"
    summary = fork.summary

    def summary_then_someone_edits(*args):
        text = summary(*args)
        source.write_text(source.read_text().replace("maxNodes: 2", "maxNodes: 1", 1))
        return text

    monkeypatch.setattr(fork, "summary", summary_then_someone_edits)
    before = listing(project / "stacks")
    assert main(["fork", "dev", "fraud-dev", "--project", "fraud", "--program", str(project)]) == 2
    assert capsys.readouterr().err == "error: stacks/Pulumi.dev.yaml changed since it was read; nothing written, run the command again\n"
    after = listing(project / "stacks")
    assert set(after) == set(before) and after["Pulumi.dev.yaml"] != before["Pulumi.dev.yaml"]


def test_a_fork_of_a_crlf_stack_file_is_crlf_throughout(project, capsys):
    from blueprint.tools.cli import main

    source = project / "stacks" / "Pulumi.dev.yaml"
    source.write_bytes(source.read_bytes().replace(b"\n", b"\r\n"))
    assert main(["fork", "dev", "fraud-dev", "--project", "fraud", "--program", str(project)]) == 0, capsys.readouterr().err
    written = (project / "stacks" / "Pulumi.fraud-dev.yaml").read_bytes()
    assert written.count(b"\n") == written.count(b"\r\n") == written.count(b"\r") > 30
