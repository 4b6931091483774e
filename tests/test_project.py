"""Reading Pulumi.yaml and stack files the way the Pulumi CLI does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from blueprint.program.errors import InputError
from blueprint.program.project import SECRET_PLACEHOLDER, load_project, read_stack_config


def make_project(root: Path, stack_text: str, project_text: str = "name: demo\nruntime: python\nstackConfigDir: envs\n") -> Path:
    (root / "Pulumi.yaml").write_text(project_text)
    (root / "__main__.py").write_text("")
    (root / "envs").mkdir(exist_ok=True)
    (root / "envs" / "Pulumi.dev.yaml").write_text(stack_text)
    return root


def test_values_are_encoded_as_the_engine_passes_them(tmp_path):
    project = load_project(make_project(tmp_path, (
        "config:\n"
        "  demo:flag: true\n"
        "  demo:count: 3\n"
        "  demo:items: [1, 2]\n"
        "  demo:nested: {a: b}\n"
        "  bare: value\n"
        "  demo:password:\n"
        "    secure: v1:abc\n"
        "  azure-native:location: westeurope\n"
    )))
    config = read_stack_config(project, "dev")
    assert config == {
        "demo:flag": "true",
        "demo:count": "3",
        "demo:items": json.dumps([1, 2]),
        "demo:nested": json.dumps({"a": "b"}),
        "demo:bare": "value",
        "demo:password": SECRET_PLACEHOLDER,
        "azure-native:location": "westeurope",
    }
    assert project.stacks() == ["dev"]


def test_project_runtime_must_be_python(tmp_path):
    make_project(tmp_path, "config: {}\n", "name: demo\nruntime: nodejs\n")
    with pytest.raises(InputError, match="runtime: expected python"):
        load_project(tmp_path)


def test_project_needs_a_name(tmp_path):
    make_project(tmp_path, "config: {}\n", "runtime: python\n")
    with pytest.raises(InputError, match="name: expected the project name"):
        load_project(tmp_path)


def test_config_must_be_a_mapping(tmp_path):
    project = load_project(make_project(tmp_path, "config: [1, 2]\n"))
    with pytest.raises(InputError, match="envs/Pulumi.dev.yaml: config: expected a mapping"):
        read_stack_config(project, "dev")


def test_empty_stack_file_is_an_empty_config(tmp_path):
    project = load_project(make_project(tmp_path, ""))
    assert read_stack_config(project, "dev") == {}


def test_top_level_scalars_reach_the_program_as_written(tmp_path):
    """The Pulumi CLI reads a top-level value into a string: the text written, whatever YAML 1.1 would make of it."""
    project = load_project(make_project(tmp_path, (
        "config:\n"
        "  demo:prefix: no\n"
        "  demo:flag: True\n"
        "  demo:hex: 0x10\n"
        "  demo:start: 2026-12-01\n"
        "  demo:empty:\n"
        "  demo:tilde: ~\n"
        "  demo:quoted: '~'\n"
    )))
    assert read_stack_config(project, "dev") == {
        "demo:prefix": "no", "demo:flag": "True", "demo:hex": "0x10", "demo:start": "2026-12-01",
        "demo:empty": "", "demo:tilde": "", "demo:quoted": "~",
    }


def test_nested_values_follow_yaml_1_2(tmp_path):
    project = load_project(make_project(tmp_path, "config:\n  demo:budget: {startDate: 2026-12-01, notify: no, amount: 1e3, limit: ~}\n"))
    assert json.loads(read_stack_config(project, "dev")["demo:budget"]) == {"startDate": "2026-12-01", "notify": "no", "amount": 1000.0, "limit": None}


NESTED_SECRETS = (
    "config:\n"
    "  demo:monitoring:\n"
    "    emails: [a@example.com]\n"
    "    webhooks:\n"
    "      - name: x\n"
    "        uri: {secure: v1:abc}\n"
    "      - name: y\n"
    "        uri:\n"
    "          secure: v1:def\n"
    "  demo:keys: [{secure: v1:1}, {secure: v1:2}, plain]\n"
    "  demo:notsecret: {secure: 12}\n"
    "  demo:plain: {a: b}\n"
    "  demo:password:\n"
    "    secure: v1:top\n"
)


def test_nested_secure_values_become_the_placeholder_and_mark_the_key_secret(tmp_path):
    project = load_project(make_project(tmp_path, NESTED_SECRETS))
    config = read_stack_config(project, "dev")
    assert json.loads(config["demo:monitoring"]) == {
        "emails": ["a@example.com"],
        "webhooks": [{"name": "x", "uri": SECRET_PLACEHOLDER}, {"name": "y", "uri": SECRET_PLACEHOLDER}],
    }
    assert json.loads(config["demo:keys"]) == [SECRET_PLACEHOLDER, SECRET_PLACEHOLDER, "plain"]
    assert json.loads(config["demo:notsecret"]) == {"secure": 12}  # not a ciphertext: Pulumi passes it as it is
    assert config["demo:password"] == SECRET_PLACEHOLDER
    assert config.secret_keys == {"demo:monitoring", "demo:keys", "demo:password"}


def test_the_program_sees_the_placeholder_and_the_key_as_secret(tmp_path):
    """As the engine does for a stack file with nested secrets: the key is secret to the program."""
    from blueprint.tools.preview.runner import run_program

    make_project(tmp_path, NESTED_SECRETS)
    (tmp_path / "__main__.py").write_text(
        "import json\n"
        "import pulumi\n"
        "from pulumi.runtime.config import is_config_secret\n"
        "config = pulumi.Config()\n"
        "pulumi.export('uri', json.loads(config.require('monitoring'))['webhooks'][0]['uri'])\n"
        "pulumi.export('secret', [is_config_secret(f'demo:{key}') for key in ('monitoring', 'keys', 'password', 'plain', 'notsecret')])\n"
    )
    project = load_project(tmp_path)
    plan = run_program(project, "dev", read_stack_config(project, "dev"))
    assert plan.outputs == {"uri": SECRET_PLACEHOLDER, "secret": [True, True, True, False, False]}


def test_a_key_given_bare_and_namespaced_is_refused(tmp_path):
    project = load_project(make_project(tmp_path, "config:\n  location: a\n  demo:location: b\n"))
    with pytest.raises(InputError, match=r"envs/Pulumi.dev.yaml: config: location and demo:location are the same key \(demo:location\)"):
        read_stack_config(project, "dev")


def test_a_value_json_cannot_carry_is_refused(tmp_path):
    project = load_project(make_project(tmp_path, "config:\n  demo:limits: [1, .inf]\n"))
    with pytest.raises(InputError, match=r"envs/Pulumi.dev.yaml: demo:limits: holds .nan or .inf"):
        read_stack_config(project, "dev")


def test_a_byte_order_mark_changes_nothing(tmp_path):
    project = load_project(make_project(tmp_path, "config:\n  demo:a: no\n"))
    plain = read_stack_config(project, "dev")
    (tmp_path / "envs" / "Pulumi.dev.yaml").write_bytes(b"\xef\xbb\xbf" + b"config:\n  demo:a: no\n")
    assert read_stack_config(project, "dev") == plain == {"demo:a": "no"}


@pytest.mark.parametrize(("text", "found"), [("- a\n", "a list"), ("just text\n", "a string"), ("config: 3\n", "an integer")])
def test_a_file_of_the_wrong_shape_names_what_it_found(tmp_path, text, found):
    project = load_project(make_project(tmp_path, text))
    with pytest.raises(InputError, match=f"envs/Pulumi.dev.yaml: .*found {found}"):
        read_stack_config(project, "dev")


def test_pulumi_yaml_itself_is_read_the_same_way(tmp_path):
    make_project(tmp_path, "config: {}\n", "name: demo\nruntime: python\nname: other\n")
    with pytest.raises(InputError, match="Pulumi.yaml:3: name: key 'name' given twice: here and at .*Pulumi.yaml:1"):
        load_project(tmp_path)


def test_an_unquoted_date_in_a_shipped_stack_reads_as_the_quoted_one(project_copy):
    """`startDate: 2026-12-01` unquoted used to be a date object and a traceback; it is the text written."""
    project = load_project(project_copy)
    quoted = read_stack_config(project, "dev")
    stack_file = project_copy / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace('startDate: "2026-12-01"', "startDate: 2026-12-01"))
    assert read_stack_config(project, "dev") == quoted
    assert json.loads(quoted["mlplatform:budget"])["startDate"] == "2026-12-01"


def test_a_pulumi_yml_project_keeps_its_stacks_in_yml_files(tmp_path):
    """The Pulumi CLI reads Pulumi.yml as the project file too, and names the stack files after its extension."""
    (tmp_path / "Pulumi.yml").write_text("name: demo\nruntime: python\nstackConfigDir: envs\n")
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "Pulumi.dev.yml").write_text("config:\n  demo:a: b\n")
    (tmp_path / "envs" / "Pulumi.other.yaml").write_text("config: {}\n")  # not a stack of a Pulumi.yml project
    project = load_project(tmp_path)
    assert project.file == tmp_path / "Pulumi.yml"
    assert project.stack_file("dev") == tmp_path / "envs" / "Pulumi.dev.yml"
    assert project.stacks() == ["dev"]
    assert read_stack_config(project, "dev") == {"demo:a": "b"}


def test_a_json_project_file_the_cli_would_read_first_is_refused(tmp_path):
    make_project(tmp_path, "config: {}\n")
    (tmp_path / "Pulumi.json").write_text('{"name": "other", "runtime": "python"}\n')
    with pytest.raises(InputError, match=r"Pulumi.json: the Pulumi CLI reads this project file \(before any Pulumi.yaml\)"):
        load_project(tmp_path)


def test_every_stack_file_of_the_project_must_be_readable(tmp_path):
    """A dangling link, a link loop or a directory named like a stack file is a stack no command can read."""
    make_project(tmp_path, "config: {}\n")
    envs = tmp_path / "envs"
    cases = {
        "qa": (lambda path: path.symlink_to("nowhere"), "envs/Pulumi.qa.yaml: a symbolic link to nowhere, which does not exist"),
        "uat": (lambda path: path.mkdir(), "envs/Pulumi.uat.yaml: is a directory, not a file"),
        "loop": (lambda path: (path.symlink_to("Pulumi.loop2.yaml"), (envs / "Pulumi.loop2.yaml").symlink_to(path.name)),
                 "envs/Pulumi.loop.yaml: a symbolic link loop"),
    }
    project = load_project(tmp_path)
    for stack, (make, message) in cases.items():
        make(envs / f"Pulumi.{stack}.yaml")
        with pytest.raises(InputError, match=re.escape(message)):
            project.stacks()
        with pytest.raises(InputError, match=re.escape(message)):
            read_stack_config(project, stack)
        assert project.known_stacks() == "dev"  # messages about another stack list the readable ones
        for path in envs.iterdir():
            if path.name != "Pulumi.dev.yaml":
                path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()


@pytest.mark.parametrize(("text", "message"), [
    ("stackConfigDir: [a]\n", 'stackConfigDir: expected a directory path (a string), found list ["a"]'),
    ("stackConfigDir: ~\n", "stackConfigDir: expected a directory path (a string), found nothing"),
    ("main: [x]\n", 'main: expected a path to the program (a string), found list ["x"]'),
    ("main: 3\n", "main: expected a path to the program (a string), found integer 3"),
    ("config:\n  demo:a: b\n", "config: project-level config is not read by this project's tools; put the keys in the stack files"),
])
def test_project_file_keys_of_the_wrong_type_or_unread_are_refused(tmp_path, text, message):
    make_project(tmp_path, "config: {}\n", "name: demo\nruntime: python\n" + text)
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'Pulumi.yaml'}: {message}")):
        load_project(tmp_path)


def test_the_program_under_the_engine_still_finds_its_stack_file_with_project_level_config(tmp_path):
    """Under the engine project-level config reaches the program; only the offline tools refuse it."""
    from blueprint.program.project import stack_file_path

    make_project(tmp_path, "config: {}\n", "name: demo\nruntime: python\nstackConfigDir: envs\nconfig:\n  demo:a: b\n")
    assert stack_file_path(tmp_path, "dev") == tmp_path / "envs" / "Pulumi.dev.yaml"


@pytest.mark.parametrize(("text", "message"), [
    ("name: [a]\nruntime: python\n", 'name: expected the project name, found list ["a"]'),
    ("name: demo\nruntime: ~\n", "runtime: expected python (the offline preview runs Python programs), found nothing"),
])
def test_name_and_runtime_name_what_was_found_as_written(tmp_path, text, message):
    make_project(tmp_path, "config: {}\n", text)
    with pytest.raises(InputError, match=re.escape(message)):
        load_project(tmp_path)
