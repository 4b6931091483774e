"""``blueprint promote``: one deployment moves to another model version, in the stack file, and nothing else changes."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.test_cli import blueprint

GREEN = ("--endpoint", "fraud", "--deployment", "green")


def prod_file(project: Path) -> Path:
    return project / "stacks" / "Pulumi.prod.yaml"


@pytest.mark.e2e
def edited_while_validating(monkeypatch, path: Path) -> None:
    """Make promote's validation step coincide with another edit of ``path`` (what compare-and-swap must catch)."""
    from blueprint.tools import promote

    validate = promote.validate

    def validate_then_someone_edits(*args):
        validate(*args)
        path.write_text(path.read_text().replace("maxNodes: 10", "maxNodes: 9"))

    monkeypatch.setattr(promote, "validate", validate_then_someone_edits)


def test_promote_changes_only_that_deployments_model(project_copy):
    before = prod_file(project_copy).read_text().splitlines()
    result = blueprint("promote", "prod", *GREEN, "--model", "registry:fraud-classifier:7", cwd=project_copy)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "stacks/Pulumi.prod.yaml: mlplatform:endpoints[0].deployments[1].model: registry:fraud-classifier:2 -> registry:fraud-classifier:7"
    )
    after = prod_file(project_copy).read_text().splitlines()
    changed = [(old, new) for old, new in zip(before, after) if old != new]
    assert len(before) == len(after)
    assert changed == [("          model: registry:fraud-classifier:2", "          model: registry:fraud-classifier:7")]
    deployments = yaml.safe_load("\n".join(after))["config"]["mlplatform:endpoints"][0]["deployments"]
    assert [d["model"] for d in deployments] == ["registry:fraud-classifier:1", "registry:fraud-classifier:7"]


def test_promoting_to_the_current_model_changes_nothing(project_copy):
    before = prod_file(project_copy).read_bytes()
    result = blueprint("promote", "prod", *GREEN, "--model", "registry:fraud-classifier:2", cwd=project_copy)
    assert result.returncode == 0
    assert "is already registry:fraud-classifier:2; nothing to change" in result.stdout
    assert prod_file(project_copy).read_bytes() == before


@pytest.mark.parametrize(
    ("stack", "args", "message"),
    [
        ("prod", ("--endpoint", "nope", "--deployment", "green", "--model", "registry:m:1"), "mlplatform:endpoints: no endpoint named 'nope' (endpoints here: fraud)"),
        ("prod", ("--endpoint", "fraud", "--deployment", "red", "--model", "registry:m:1"), "mlplatform:endpoints[0].deployments: no deployment named 'red' (deployments here: blue, green)"),
        ("prod", (*GREEN, "--model", "fraud-classifier:7"), "mlplatform:endpoints[0].deployments[1].model: expected registry:<model>:<version>"),
        ("dev", (*GREEN, "--model", "registry:m:1"), "stacks/Pulumi.dev.yaml: mlplatform:endpoints: expected the stack's online endpoints, found none"),
        ("nope", (*GREEN, "--model", "registry:m:1"), "stacks/Pulumi.nope.yaml: no such stack file"),
    ],
)
def test_bad_input_exits_2_and_leaves_the_file_alone(project_copy, capsys, stack, args, message):
    from blueprint.tools.cli import main

    before = {path.name: path.read_bytes() for path in (project_copy / "stacks").iterdir()}
    assert main(["promote", stack, *args, "--program", str(project_copy)]) == 2
    assert message in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in (project_copy / "stacks").iterdir()} == before


def flock_waiters(path: Path) -> int:
    """How many processes wait for an flock on ``path`` (the ``->`` lines of /proc/locks for its inode)."""
    inode = path.stat().st_ino
    waiting = 0
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if len(fields) > 6 and fields[1] == "->" and fields[2] == "FLOCK" and int(fields[6].rsplit(":", 1)[1]) == inode:
            waiting += 1
    return waiting


@pytest.mark.e2e
def test_two_concurrent_promotes_never_lose_a_change(project_copy):
    """Both read the file and validate their change while the test holds the file's lock, then both wait for it:
    once it is released, one writes and the other finds the file changed, writes nothing and says so."""
    path = prod_file(project_copy)
    original = path.read_bytes()
    models = {7: "registry:fraud-classifier:7", 8: "registry:fraud-classifier:8"}
    with path.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        runs = {
            version: subprocess.Popen(
                [sys.executable, "-m", "blueprint", "promote", "prod", *GREEN, "--model", model],
                cwd=project_copy, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for version, model in models.items()
        }
        deadline = time.monotonic() + 120
        while flock_waiters(path) < 2:
            finished = {version: run.poll() for version, run in runs.items() if run.poll() is not None}
            assert not finished, f"a promote ended before reaching the lock: {finished} {[run.communicate() for run in runs.values()]}"
            assert time.monotonic() < deadline, "the promotes never both waited for the lock"
            time.sleep(0.02)
        assert path.read_bytes() == original
    results = {version: (run.wait(timeout=60), *run.communicate()) for version, run in runs.items()}

    assert sorted(code for code, _, _ in results.values()) == [0, 2]
    winner = next(version for version, (code, _, _) in results.items() if code == 0)
    loser = next(version for version in models if version != winner)
    _, out, _ = results[winner]
    assert out.strip().endswith(f"registry:fraud-classifier:2 -> {models[winner]}")
    _, out, err = results[loser]
    assert out == "" and err == "error: stacks/Pulumi.prod.yaml changed since it was read; nothing written, run the command again\n"
    after = yaml.safe_load(path.read_text())["config"]["mlplatform:endpoints"][0]["deployments"]
    assert [d["model"] for d in after] == ["registry:fraud-classifier:1", models[winner]]

    # Nothing was lost silently: the refused change applies once run again, on top of the winner's.
    rerun = blueprint("promote", "prod", *GREEN, "--model", models[loser], cwd=project_copy)
    assert rerun.returncode == 0 and f"{models[winner]} -> {models[loser]}" in rerun.stdout


def test_a_file_changed_between_reading_and_writing_is_left_as_the_other_writer_left_it(project_copy, capsys, monkeypatch):
    """The compare-and-swap, in process: another edit lands while promote validates its own."""
    from blueprint.tools.cli import main

    path = prod_file(project_copy)
    edited_while_validating(monkeypatch, path)
    assert main(["promote", "prod", *GREEN, "--model", "registry:fraud-classifier:7", "--program", str(project_copy)]) == 2
    assert capsys.readouterr().err == "error: stacks/Pulumi.prod.yaml changed since it was read; nothing written, run the command again\n"
    text = path.read_text()
    assert "maxNodes: 9" in text and "registry:fraud-classifier:7" not in text
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no staged copy left


def test_secure_values_and_a_byte_order_mark_survive_a_promote(project_copy, capsys):
    """Only the model line changes: nested secrets stay encrypted as they were, the BOM stays first."""
    from blueprint.tools.cli import main

    path = prod_file(project_copy)
    text = path.read_text().replace(
        "        uri: https://alerts.example.com/azure-monitor\n",
        "        uri:\n          secure: v1:AAABAIncident\n      - name: escalation\n        uri: {secure: v1:AAABAEscalation}\n",
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert main(["promote", "prod", *GREEN, "--model", "registry:fraud-classifier:7", "--program", str(project_copy)]) == 0, capsys.readouterr().err
    after = path.read_bytes()
    assert after == b"\xef\xbb\xbf" + text.replace("model: registry:fraud-classifier:2", "model: registry:fraud-classifier:7").encode()


def test_promote_validates_nested_secrets_as_the_preview_does(project_copy, capsys):
    """Offline, a secret is its placeholder: where the schema would need to see the value (an https:// URL), preview
    and promote both accept the placeholder, the same way, and the preview names the key whose content only the
    engine (which can decrypt it) checks."""
    from blueprint.tools.cli import main

    path = prod_file(project_copy)
    path.write_text(path.read_text().replace("uri: https://alerts.example.com/azure-monitor", "uri: {secure: v1:AAABAExampleCiphertext}"))
    assert main(["promote", "prod", *GREEN, "--model", "registry:fraud-classifier:7", "--program", str(project_copy)]) == 0
    capsys.readouterr()
    shutil.copytree(REPO / "ml_templates", project_copy / "ml_templates")  # prod reads the shared stack, which publishes them
    assert main(["preview", "prod", "--program", str(project_copy), "--no-policies"]) == 0
    out = capsys.readouterr().out
    assert "Secrets: mlplatform:monitoring hold encrypted values, [secret] offline" in out
    text = path.read_text()
    assert "uri: {secure: v1:AAABAExampleCiphertext}" in text and "registry:fraud-classifier:7" in text


def test_a_secret_does_not_hide_other_mistakes(project_copy, capsys):
    """Only the placeholder itself is exempt: a wrong value next to it is still refused."""
    from blueprint.tools.cli import main

    path = prod_file(project_copy)
    path.write_text(path.read_text().replace("uri: https://alerts.example.com/azure-monitor", "uri: {secure: v1:AAABAExampleCiphertext}")
                    .replace("latencyMs: 800", "latencyMs: fast"))
    before = path.read_bytes()
    assert main(["promote", "prod", *GREEN, "--model", "registry:fraud-classifier:7", "--program", str(project_copy)]) == 2
    assert 'mlplatform:monitoring.latencyMs: expected' in capsys.readouterr().err
    assert path.read_bytes() == before


@pytest.mark.parametrize("ending", [b"\r\n", b"\n"], ids=["crlf", "lf"])
def test_a_promote_keeps_the_files_line_endings(project_copy, capsys, ending):
    """A CRLF file stays CRLF (it used to come back LF, with only its comment lines still ending in CR)."""
    from blueprint.tools.cli import main

    path = prod_file(project_copy)
    before = path.read_bytes().replace(b"\n", ending)
    path.write_bytes(before)
    assert main(["promote", "prod", *GREEN, "--model", "registry:fraud-classifier:7", "--program", str(project_copy)]) == 0, capsys.readouterr().err
    assert path.read_bytes() == before.replace(b"model: registry:fraud-classifier:2", b"model: registry:fraud-classifier:7")



def test_a_deployment_merging_another_gets_its_own_model_and_the_other_keeps_its(project_copy, capsys):
    """``<<: *blue`` in green: promoting green writes green's own model; blue, the merge source, is not touched."""
    from blueprint.tools.cli import main

    path = prod_file(project_copy)
    text = (path.read_text().replace("        - name: blue\n", "        - &blue\n          name: blue\n", 1)
            .replace("        - name: green\n          model: registry:fraud-classifier:2\n", "        - <<: *blue\n          name: green\n", 1))
    path.write_text(text)
    assert main(["promote", "prod", *GREEN, "--model", "registry:fraud-classifier:7", "--program", str(project_copy)]) == 0, capsys.readouterr().err
    deployments = yaml.safe_load(path.read_text())["config"]["mlplatform:endpoints"][0]["deployments"]
    assert [(d["name"], d["model"]) for d in deployments] == [("blue", "registry:fraud-classifier:1"), ("green", "registry:fraud-classifier:7")]


def test_a_symbolically_linked_stack_file_stays_a_link_and_its_target_is_promoted(project_copy, tmp_path, capsys, monkeypatch):
    """The link used to be replaced by a regular file, leaving the real file as it was. The real file is replaced
    in one step, under the same compare-and-swap: an edit to it while promote validates is kept, nothing written."""
    from blueprint.tools.cli import main

    link = prod_file(project_copy)
    real = tmp_path / "elsewhere" / "prod.yaml"
    real.parent.mkdir()
    before = link.read_text()
    real.write_text(before)
    link.unlink()
    link.symlink_to(Path("..", "..", "elsewhere", "prod.yaml"))
    assert main(["promote", "prod", *GREEN, "--model", "registry:fraud-classifier:7", "--program", str(project_copy)]) == 0, capsys.readouterr().err
    assert link.is_symlink() and link.readlink() == Path("..", "..", "elsewhere", "prod.yaml")
    assert real.read_text() == before.replace("registry:fraud-classifier:2", "registry:fraud-classifier:7")
    assert sorted(p.name for p in real.parent.iterdir()) == ["prod.yaml"]  # no staged copy left

    edited_while_validating(monkeypatch, real)
    assert main(["promote", "prod", *GREEN, "--model", "registry:fraud-classifier:8", "--program", str(project_copy)]) == 2
    assert "stacks/Pulumi.prod.yaml changed since it was read; nothing written" in capsys.readouterr().err
    assert "maxNodes: 9" in real.read_text() and "registry:fraud-classifier:8" not in real.read_text()
    assert link.is_symlink()
