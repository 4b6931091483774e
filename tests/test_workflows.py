"""The GitHub Actions workflows (.github/), read as data: what runs when, as whom, in which order, with what.

The workflows cannot run here (no GitHub, no Azure), so these tests check what a reviewer would: triggers and paths
(which jobs a pull request changing a given file starts), the deploy chain and its environments, that staging's
smoke-tested candidate is deployed as prod's plan deploys, that only jobs signing in to Azure get an OIDC token and
that no secret is used, that every action is pinned, that the preview matrix covers the project's stacks, and that
the commands the jobs run (``blueprint ...``, ``az ml ... --file``, ``pulumi up``) match the code and files they
name. Each check is a function returning the problems it finds; the tests at the end feed each one a broken copy of
a workflow to show it can fail.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.util
import io
import json
import os
import re
import shlex
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprint.tools.cli import build_parser
from components.roles import BuiltInRole
from tests.conftest import preview_stack

REPO = Path(__file__).resolve().parent.parent
GITHUB = REPO / ".github"
INFRASTRUCTURE = GITHUB / "workflows" / "infrastructure.yml"
MODELS = GITHUB / "workflows" / "models.yml"
PULUMI_LOGIN = GITHUB / "actions" / "pulumi-login" / "action.yml"
#: Signs the Azure CLI in again with a fresh OIDC token, for commands late in long jobs.
SIGN_IN_AGAIN = ".github/scripts/azure-oidc-login.sh"
FAKE_SHA = "0123456789abcdef0123456789abcdef01234567"
#: The state backend's stack: applied once by hand (it holds the state CI itself needs), never by CI.
BOOTSTRAP = "bootstrap"
#: Deploy order by environment: a stack deploys after every stack of the environment before it.
ENVIRONMENT_ORDER = ("shared", "dev", "test", "staging", "prod")
REQUIRED_INFRASTRUCTURE_PATHS = frozenset(
    {
        "components/**",
        "blueprint/**",
        "policies/**",
        "stacks/**",
        "schema/**",
        "ml_templates/environments/**",
        "__main__.py",
        "Pulumi.yaml",
        "requirements*",
        "constraints.txt",
        "scripts/**",
        ".github/workflows/infrastructure.yml",
    }
)
MODEL_PATHS = frozenset({"ml_templates/src/**", "ml_templates/components/**", "ml_templates/pipelines/**"})
#: What a pull request must touch, at least, to get the model code's tests and local pipeline run (issue 13).
MODEL_PULL_REQUEST_PATHS = frozenset({"ml_templates/**", "tests/**", ".github/workflows/models.yml"})
#: The local run of the training pipeline on the sample data (data check -> train -> evaluate -> register -> score).
RUN_LOCAL = (".venv/bin/blueprint", "pipeline", "run-local")
#: Commands a branch in flight adds to the CLI: parsed once the CLI has them, skipped (by name only) until then.
LANDING_COMMANDS = frozenset({("pipeline", "run-local")})
#: The CLI template staging's candidate is deployed from, and prod's deployment it must equal.
SERVING_TEMPLATE = "ml_templates/endpoints/mlflow-online-deployment.yml"
#: Words that only appear where a stored credential is used; OIDC needs none of them.
CREDENTIAL_WORDS = re.compile(
    r"secrets\s*[.\[]|\bcreds\b|client-secret|client_secret|AZURE_CREDENTIALS|ARM_CLIENT_SECRET|AZURE_CLIENT_SECRET"
    r"|PULUMI_CONFIG_PASSPHRASE|PULUMI_ACCESS_TOKEN",
    re.IGNORECASE,
)
LOGIN_INPUTS = frozenset(
    {"client-id", "tenant-id", "subscription-id", "allow-no-subscriptions", "environment", "audience"}
)
#: A GitHub variable: ``vars.NAME``, or ``vars[matrix.key]`` where each matrix entry names one (checked below).
VARIABLE_EXPRESSION = re.compile(r"\$\{\{\s*vars(?:\.[A-Z][A-Z0-9_]*|\[matrix\.[a-z][a-z0-9-]*\])\s*\}\}")
VARIABLE_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
SHA = re.compile(r"[0-9a-f]{40}")
EXACT_VERSION = re.compile(r"v\d+\.\d+\.\d+")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*['\"]?(?P<ref>[^\s'\"#]+)['\"]?\s*(?:#\s*(?P<comment>.*?))?\s*$")


# --- Reading the repository -------------------------------------------------------------------------------------


def load_workflow(path: Path) -> dict[str, Any]:
    """A workflow or action file as data; YAML 1.1 reads the key ``on`` as True, so it is put back."""
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def project_name() -> str:
    return yaml.safe_load((REPO / "Pulumi.yaml").read_text())["name"]


@dataclass(frozen=True)
class Stack:
    """What the workflows need to know of a stack file."""

    name: str
    environment: str
    """``tags.environment``: picks the policy pack config."""
    github_environments: tuple[str, ...]
    """``ci.environments``: the GitHub environments its deploy identity trusts."""
    preview_environment: str | None = None
    """``ci.previewEnvironment``: the GitHub environment its preview identity trusts; None: pull requests."""
    models_environment: str | None = None
    """``ci.modelsEnvironment``: the GitHub environment its models identity trusts; None: no such identity."""
    has_ci: bool = True
    """Whether the stack file has ``ci`` (the identities CI deploys with); without it, CI cannot deploy the stack
    (the landing-zone example, ``prod-lz``, is deployed by the team's own pipeline)."""


def stack_config(stack: str) -> dict[str, Any]:
    """``config`` of stacks/Pulumi.<stack>.yaml with the project's namespace dropped from the keys."""
    config = (yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text()) or {}).get("config") or {}
    prefix = f"{project_name()}:"
    return {key.removeprefix(prefix): value for key, value in config.items()}


def project_stacks() -> dict[str, Stack]:
    """Every stack file in stacks/, by stack name."""
    stacks: dict[str, Stack] = {}
    for path in sorted((REPO / "stacks").glob("Pulumi.*.yaml")):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        config = stack_config(stack)
        ci = config.get("ci") or {}
        stacks[stack] = Stack(
            name=stack,
            environment=(config.get("tags") or {}).get("environment", ""),
            github_environments=tuple(ci.get("environments", ())),
            preview_environment=ci.get("previewEnvironment"),
            models_environment=ci.get("modelsEnvironment"),
            has_ci="ci" in config,
        )
    return stacks


def ci_stacks(stacks: Mapping[str, Stack] | None = None) -> dict[str, Stack]:
    """The stacks the workflows deploy: all (of the project's, by default) that give CI its identities (``ci``), but
    the bootstrap stack, by name or by its environment."""
    stacks = project_stacks() if stacks is None else stacks
    return {name: stack for name, stack in stacks.items() if stack.has_ci and BOOTSTRAP not in (name, stack.environment)}


def readme_test_command() -> list[str]:
    """The README's test command, as its ``&&``-separated commands."""
    text = (REPO / "README.md").read_text()
    for block in re.findall(r"```bash\n(.*?)```", text, re.DOTALL):
        for line in block.splitlines():
            if "pytest" in line:
                return [part.strip() for part in line.split("#")[0].split("&&")]
    raise AssertionError("README.md has no bash block with the test command")


# --- Reading jobs, steps and the shell they run -----------------------------------------------------------------

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SHELL_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
OPERATORS = frozenset({"&&", "||", "|", ";"})
SHELL_KEYWORDS = frozenset({"if", "then", "elif", "else", "while", "until", "do", "!", "time"})


def jobs(workflow: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return workflow.get("jobs") or {}


def steps(job: Mapping[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps") or []


def local_action(ref: str) -> dict[str, Any] | None:
    """The action file of a ``uses: ./path`` reference, or None when the path has none."""
    for name in ("action.yml", "action.yaml"):
        path = REPO / ref.removeprefix("./") / name
        if path.is_file():
            return load_workflow(path)
    return None


def all_uses(job: Mapping[str, Any]) -> Iterator[str]:
    """Every action a job runs, following local composite actions."""
    for step in steps(job):
        ref = step.get("uses")
        if not ref:
            continue
        yield ref
        if ref.startswith("./"):
            action = local_action(ref)
            if action is not None:
                yield from all_uses(action.get("runs") or {})


def uses_action(job: Mapping[str, Any], action: str) -> bool:
    """Whether the job runs ``action`` (``owner/repo[/path]``), directly or in a local composite action."""
    return any(ref.split("@")[0].lower() == action.lower() for ref in all_uses(job))


def action_steps(job: Mapping[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in steps(job) if str(step.get("uses", "")).split("@")[0].lower() == action.lower()]


def matrix_combinations(job: Mapping[str, Any]) -> list[dict[str, str]]:
    """The job's matrix as a list of combinations (``include`` entries, or the product of the axes)."""
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    combinations: list[dict[str, str]] = [{}]
    for key, values in matrix.items():
        if key not in ("include", "exclude") and isinstance(values, list):
            combinations = [{**c, key: str(v)} for c in combinations for v in values]
    if matrix.get("include"):
        combinations = [{k: str(v) for k, v in entry.items()} for entry in matrix["include"]]
    return combinations


def literal_env(*scopes: Mapping[str, Any] | None) -> dict[str, str]:
    """Environment variables of the workflow, job and step levels (later ones win)."""
    env: dict[str, str] = {}
    for scope in scopes:
        env.update({key: str(value) for key, value in ((scope or {}).get("env") or {}).items()})
    return env


def substitute(text: str, expressions: Mapping[str, str], env: Mapping[str, str]) -> str:
    """``${{ expr }}`` by known values (a placeholder otherwise), then ``$VAR``/``${VAR}`` from ``env``."""
    text = EXPRESSION.sub(lambda m: expressions.get(m.group(1), "EXPRESSION"), text)
    return SHELL_VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), text)


def _unwrap(token: str) -> str:
    """``name=$(az`` -> ``az`` and ``tsv)`` -> ``tsv``: commands inside command substitutions."""
    token = re.sub(r"^(?:\w+=)?\$\(", "", token)
    return token[:-1] if token.endswith(")") and "(" not in token else token


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script as argument lists: continuation lines joined, split on ``&& || | ;``.

    Lines that do not tokenize on their own (inside a multi-line quoted string, such as a jq program) are skipped:
    they hold no command these tests check.
    """
    result: list[list[str]] = []
    for line in script.replace("\\\n", " ").splitlines():
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            continue
        current: list[str] = []
        for token in tokens:
            ends = token.endswith(";") and token != ";"
            token = token.rstrip(";") if ends else token
            if token in OPERATORS:
                ends, token = True, ""
            if token and not (not current and token in SHELL_KEYWORDS):
                current.append(_unwrap(token))
            if ends and current:
                result.append(current)
                current = []
        if current:
            result.append(current)
    return result


@dataclass(frozen=True)
class Command:
    """One command a job runs, with the matrix combination it ran for."""

    job: str
    argv: tuple[str, ...]
    matrix: Mapping[str, str]

    def starts(self, *prefix: str) -> bool:
        return self.argv[: len(prefix)] == prefix

    def values(self, option: str) -> list[str]:
        """Values of ``option`` (``--opt value`` or ``--opt=value``), in order."""
        found: list[str] = []
        for index, arg in enumerate(self.argv):
            if arg == option and index + 1 < len(self.argv):
                found.append(self.argv[index + 1])
            elif arg.startswith(option + "="):
                found.append(arg[len(option) + 1 :])
        return found


def commands(workflow: Mapping[str, Any], job_id: str | None = None) -> list[Command]:
    """Every command the workflow's ``run:`` steps execute, for every matrix combination of their job."""
    found: list[Command] = []
    for name, job in jobs(workflow).items():
        if job_id is not None and name != job_id:
            continue
        for combination in matrix_combinations(job):
            expressions = {"github.sha": FAKE_SHA, **{f"matrix.{k}": v for k, v in combination.items()}}
            for step in steps(job):
                if "run" not in step:
                    continue
                env = {k: substitute(v, expressions, {}) for k, v in literal_env(workflow, job, step).items()}
                script = substitute(str(step["run"]), expressions, env)
                found += [Command(name, tuple(argv), combination) for argv in shell_commands(script)]
    return found


def needs(job: Mapping[str, Any]) -> list[str]:
    value = job.get("needs") or []
    return [value] if isinstance(value, str) else list(value)


def depends_on(workflow: Mapping[str, Any], job_id: str) -> set[str]:
    """Every job ``job_id`` waits for, directly or through others."""
    seen: set[str] = set()
    pending = needs(jobs(workflow).get(job_id, {}))
    while pending:
        current = pending.pop()
        if current not in seen:
            seen.add(current)
            pending += needs(jobs(workflow).get(current, {}))
    return seen


def permissions_of(workflow: Mapping[str, Any], job: Mapping[str, Any]) -> Any:
    """A job's effective permissions: its own, else the workflow's (None when neither says)."""
    return job["permissions"] if "permissions" in job else workflow.get("permissions")


def grants_write(permissions: Any, scope: str) -> bool:
    if permissions == "write-all":
        return True
    return isinstance(permissions, Mapping) and permissions.get(scope) == "write"


def written_scopes(permissions: Any) -> set[str]:
    if permissions == "write-all":
        return {"write-all"}
    return (
        {scope for scope, level in (permissions or {}).items() if level == "write"}
        if isinstance(permissions, Mapping)
        else set()
    )


# --- Checks: each returns the problems it finds -------------------------------------------------------------------


def pull_request_target_problems(workflow: Mapping[str, Any], name: str) -> list[str]:
    """pull_request_target runs a fork's change with the repository's privileges: never used here."""
    events = workflow.get("on") or {}
    events = [events] if isinstance(events, str) else list(events)
    return [f"{name}: triggered by pull_request_target"] if "pull_request_target" in events else []


def infrastructure_trigger_problems(workflow: Mapping[str, Any]) -> list[str]:
    """Pull requests, pushes to main and manual runs, on the same infrastructure paths, each of which exists."""
    on = workflow.get("on") or {}
    problems = pull_request_target_problems(workflow, "infrastructure")
    for event in ("pull_request", "push", "workflow_dispatch"):
        if event not in on:
            problems.append(f"infrastructure: not triggered by {event}")
    pull_request, push = on.get("pull_request") or {}, on.get("push") or {}
    if push.get("branches") != ["main"]:
        problems.append(f"infrastructure: push should run on main only, runs on {push.get('branches')}")
    if pull_request.get("paths") != push.get("paths"):
        problems.append("infrastructure: pull_request and push watch different paths")
    paths = set(push.get("paths") or ())
    for missing in sorted(REQUIRED_INFRASTRUCTURE_PATHS - paths):
        problems.append(f"infrastructure: path {missing} is not watched")
    for pattern in sorted(paths):
        if not any(REPO.glob(pattern.rstrip("/"))):
            problems.append(f"infrastructure: watched path {pattern} matches no file")
    return problems


def models_trigger_problems(workflow: Mapping[str, Any]) -> list[str]:
    """Pushes to main under the model code, pull requests under the model code and its tests, and manual runs."""
    on = workflow.get("on") or {}
    problems = pull_request_target_problems(workflow, "models")
    push = on.get("push") or {}
    if push.get("branches") != ["main"]:
        problems.append(f"models: push should run on main only, runs on {push.get('branches')}")
    if set(push.get("paths") or ()) != MODEL_PATHS:
        problems.append(f"models: push should watch {sorted(MODEL_PATHS)}, watches {push.get('paths')}")
    if "pull_request" not in on:
        problems.append("models: not triggered by pull_request (model code would be merged untested)")
    else:
        paths = set((on.get("pull_request") or {}).get("paths") or ())
        for missing in sorted(MODEL_PULL_REQUEST_PATHS - paths):
            problems.append(f"models: pull_request does not watch {missing}")
        for pattern in sorted(paths):
            if not any(REPO.glob(pattern.rstrip("/"))):
                problems.append(f"models: watched path {pattern} matches no file")
    if "workflow_dispatch" not in on:
        problems.append("models: not runnable by hand (workflow_dispatch)")
    return problems


def oidc_problems(workflow: Mapping[str, Any]) -> list[str]:
    """Exactly the jobs that sign in to Azure get ``id-token: write``; every job's permissions are explicit."""
    problems: list[str] = []
    for name, job in jobs(workflow).items():
        permissions = permissions_of(workflow, job)
        if permissions is None:
            problems.append(f"job {name}: no permissions set (the repository default may grant write access)")
            continue
        signs_in = uses_action(job, "azure/login") or any(
            c.starts("bash", SIGN_IN_AGAIN) for c in commands(workflow, name)
        )
        has_token = grants_write(permissions, "id-token")
        if signs_in and not has_token:
            problems.append(f"job {name}: runs azure/login without permissions id-token: write")
        if has_token and not signs_in:
            problems.append(f"job {name}: has id-token: write but never signs in to Azure")
    return problems


def permission_problems(workflow: Mapping[str, Any]) -> list[str]:
    """Read-only by default; a job writes only what one of its steps needs."""
    problems: list[str] = []
    top = workflow.get("permissions")
    if top not in ({}, {"contents": "read"}):
        problems.append(f"workflow permissions should be contents: read (or none), are {top}")
    for name, job in jobs(workflow).items():
        needed: set[str] = set()
        if uses_action(job, "azure/login"):
            needed.add("id-token")
        if uses_action(job, "github/codeql-action/upload-sarif"):
            needed.add("security-events")
        if any(c.starts("gh", "pr", "create") for c in commands(workflow, name)):
            needed |= {"contents", "pull-requests"}
        if any(c.starts("gh", "api") and {"POST", "PATCH"} & set(c.values("--method")) and any("/comments" in a for a in c.argv)
               for c in commands(workflow, name)):
            needed.add("pull-requests")  # a comment on a pull request
        written = written_scopes(permissions_of(workflow, job))
        for scope in sorted(written - needed - {"write-all"}):
            problems.append(f"job {name}: writes {scope} without a step that needs it")
        if "write-all" in written:
            problems.append(f"job {name}: write-all")
        for scope in sorted(needed - written - {"id-token", "write-all"}):  # id-token: oidc_problems
            problems.append(f"job {name}: lacks {scope}: write, which one of its steps needs")
    return problems


def credential_problems(text: str, workflow: Mapping[str, Any], name: str) -> list[str]:
    """No secret anywhere; azure/login and the ARM_* variables take identifiers from GitHub variables only."""
    problems = [f"{name}: mentions {match.group(0)!r}" for match in CREDENTIAL_WORDS.finditer(text)]
    for job_id, job in jobs(workflow).items():
        for step in action_steps(job, "azure/login"):
            given = step.get("with") or {}
            for key in sorted(set(given) - LOGIN_INPUTS):
                problems.append(f"job {job_id}: azure/login given {key}")
            for key in ("client-id", "tenant-id", "subscription-id"):
                if not VARIABLE_EXPRESSION.fullmatch(str(given.get(key, ""))):
                    problems.append(
                        f"job {job_id}: azure/login {key} should be a GitHub variable (vars.*), is {given.get(key)!r}"
                    )
        env = {**(workflow.get("env") or {}), **(job.get("env") or {})}
        for key in ("ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID"):
            if key in env and not VARIABLE_EXPRESSION.fullmatch(str(env[key])):
                problems.append(f"job {job_id}: {key} should be a GitHub variable (vars.*), is {env[key]!r}")
        runs_pulumi = any(c.starts("pulumi") for c in commands(workflow, job_id))
        if runs_pulumi and "ARM_CLIENT_ID" in env and str(env.get("ARM_USE_OIDC")).lower() != "true":
            problems.append(f"job {job_id}: ARM_CLIENT_ID without ARM_USE_OIDC: 'true'")
        for combination in matrix_combinations(job):
            named = combination.get("client-id")
            if named is not None and not VARIABLE_NAME.fullmatch(named):
                problems.append(f"job {job_id}: matrix client-id {named!r} is not a GitHub variable name")
        if uses_action(job, "azure/login") and runs_pulumi:
            login = (action_steps(job, "azure/login") or [{}])[0].get("with") or {}
            if env.get("ARM_CLIENT_ID") != login.get("client-id"):
                problems.append(
                    f"job {job_id}: the providers' ARM_CLIENT_ID differs from the identity azure/login uses"
                )
    return problems


def pin_problems(text: str, name: str) -> list[str]:
    """Each ``uses:`` is a full commit SHA with its version in a comment, or an exact vX.Y.Z tag, or a local action."""
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = USES_LINE.match(line)
        if match is None:
            continue
        ref, comment = match["ref"], (match["comment"] or "").strip()
        where = f"{name}:{number}: {ref}"
        if ref.startswith("./"):
            if local_action(ref) is None:
                problems.append(f"{where}: no action.yml there")
            continue
        if ref.startswith("docker://"):
            if "@sha256:" not in ref:
                problems.append(f"{where}: image not pinned by digest")
            continue
        _, _, version = ref.partition("@")
        if SHA.fullmatch(version):
            if not re.match(r"v\d+\.\d+\.\d+\b", comment):
                problems.append(f"{where}: pinned by SHA without its version in a comment (# vX.Y.Z)")
        elif not EXACT_VERSION.fullmatch(version):
            problems.append(
                f"{where}: not pinned (use a full commit SHA with a # vX.Y.Z comment, or an exact vX.Y.Z tag)"
            )
    return problems


def preview_jobs(workflow: Mapping[str, Any]) -> list[str]:
    return [name for name in jobs(workflow) if any(c.starts("pulumi", "preview") for c in commands(workflow, name))]


def deploy_jobs(workflow: Mapping[str, Any]) -> dict[str, str]:
    """Stack -> the job that runs ``pulumi up`` for it."""
    found: dict[str, str] = {}
    for command in commands(workflow):
        if command.starts("pulumi", "up"):
            for stack in command.values("--stack") or command.values("-s"):
                found[stack] = command.job
    return found


def policy_pack_problems(command: Command, stack: Stack | None) -> list[str]:
    """The policy pack and the config of the stack's environment on a preview or an update."""
    what = f"job {command.job}: {' '.join(command.argv[:2])}"
    problems: list[str] = []
    if command.values("--policy-pack") != ["policies"]:
        problems.append(f"{what} without --policy-pack policies")
    configs = command.values("--policy-pack-config")
    if stack is not None and configs != [f"policies/config/{stack.environment}.json"]:
        problems.append(
            f"{what} --stack {stack.name}: --policy-pack-config should be policies/config/{stack.environment}.json, is {configs}"
        )
    for config in configs:
        if not (REPO / config).is_file():
            problems.append(f"{what}: --policy-pack-config {config} does not exist")
    return problems


def preview_problems(workflow: Mapping[str, Any], stacks: Mapping[str, Stack]) -> list[str]:
    """A pull-request preview of every CI stack with its environment's policy config, as that stack's read-only
    preview identity: in one matrix job without a GitHub environment (subject ``pull_request``) for stacks whose
    preview identity trusts pull requests, and in a job claiming the stack's ``ci.previewEnvironment`` for the others
    (prod: a person approves before prod's state is in reach)."""
    problems: list[str] = []
    previews = preview_jobs(workflow)
    matrix_jobs = [name for name in previews if matrix_combinations(jobs(workflow)[name]) != [{}]]
    if len(matrix_jobs) != 1:
        return [f"expected one matrix job previewing the pull-request stacks, found {matrix_jobs}"]
    name = matrix_jobs[0]
    job = jobs(workflow)[name]
    entries = {c.get("stack"): c.get("environment") for c in matrix_combinations(job)}
    by_pull_request = {s: stack for s, stack in stacks.items() if stack.preview_environment is None}
    by_environment = {s: stack for s, stack in stacks.items() if stack.preview_environment is not None}
    for stack in sorted(set(by_pull_request) - set(entries)):
        problems.append(
            f"stacks/Pulumi.{stack}.yaml is not previewed: add {{ stack: {stack}, environment: {stacks[stack].environment}, "
            f"client-id: AZURE_PREVIEW_CLIENT_ID_{stack.upper().replace('-', '_')} }} to the matrix of job {name} in "
            ".github/workflows/infrastructure.yml, and a deploy job for it"
        )
    for stack in sorted(set(entries) & set(by_environment)):
        problems.append(
            f"job {name}: previews {stack} for any pull request, but {stack}'s preview identity trusts only the "
            f"GitHub environment {stacks[stack].preview_environment} (required reviewers): preview it in a job there"
        )
    for stack in sorted(set(entries) - set(stacks)):
        problems.append(
            f"job {name}: matrix stack {stack} has no stacks/Pulumi.{stack}.yaml, or is the bootstrap stack (applied by hand)"
        )
    for stack, environment in sorted(entries.items(), key=str):
        if stack in stacks and environment != stacks[stack].environment:
            problems.append(
                f"job {name}: matrix gives {stack} environment {environment}, its tags.environment is {stacks[stack].environment}"
            )
    if "environment" in job:
        problems.append(f"job {name}: a GitHub environment changes the OIDC subject away from pull_request")
    login = (action_steps(job, "azure/login") or [{}])[0].get("with") or {}
    if login.get("client-id") != "${{ vars[matrix.client-id] }}":
        problems.append(f"job {name}: should sign in as each stack's preview identity (client-id ${{{{ vars[matrix.client-id] }}}})")
    deploy_ids = {
        str(((action_steps(jobs(workflow)[j], "azure/login") or [{}])[0].get("with") or {}).get("client-id"))
        for j in deploy_jobs(workflow).values()
    }
    if login.get("client-id") in deploy_ids:
        problems.append(f"job {name}: previews as a deploy identity; use the read-only preview identity")

    previewed: dict[str, str] = {}
    for job_name in previews:
        for command in commands(workflow, job_name):
            if command.starts("pulumi", "preview"):
                stack = (command.values("--stack") or [""])[0]
                previewed.setdefault(stack, job_name)
                problems += policy_pack_problems(command, stacks.get(stack))
        if "pull_request" not in str(jobs(workflow)[job_name].get("if", "")):
            problems.append(f"job {job_name}: should run for pull requests only")
    for stack in sorted(set(entries) - set(previewed)):
        problems.append(f"job {name}: matrix stack {stack} is never passed to pulumi preview --stack")
    for stack, config in sorted(by_environment.items()):
        job_name = previewed.get(stack)
        if job_name is None or job_name == name:
            problems.append(
                f"stacks/Pulumi.{stack}.yaml is not previewed in its GitHub environment {config.preview_environment}: "
                f"add a job with environment: {config.preview_environment} running pulumi preview --stack {stack}"
            )
            continue
        claimed = jobs(workflow)[job_name].get("environment")
        if claimed != config.preview_environment:
            problems.append(
                f"job {job_name}: previews {stack} in environment {claimed!r}, but {stack}'s preview identity trusts "
                f"only {config.preview_environment!r}"
            )
    return problems


def deploy_problems(workflow: Mapping[str, Any], stacks: Mapping[str, Stack]) -> list[str]:
    """One ``pulumi up`` job per CI stack, on main, in order, in the GitHub environment its identity trusts."""
    deploys = deploy_jobs(workflow)
    problems: list[str] = []
    for stack in sorted(set(stacks) - set(deploys)):
        problems.append(
            f"stacks/Pulumi.{stack}.yaml is never deployed: add a deploy job running pulumi up --stack {stack}"
        )
    for stack in sorted(set(deploys) - set(stacks)):
        problems.append(f"job {deploys[stack]}: deploys {stack}, which is not a CI stack")
    rank: dict[str, int] = {}
    for stack in sorted(set(deploys) & set(stacks)):
        if stacks[stack].environment in ENVIRONMENT_ORDER:
            rank[stack] = ENVIRONMENT_ORDER.index(stacks[stack].environment)
        else:
            problems.append(
                f"stack {stack}: environment {stacks[stack].environment!r} has no place in {ENVIRONMENT_ORDER}"
            )
    for stack, job_id in sorted(deploys.items()):
        if stack not in rank:
            continue
        job = jobs(workflow)[job_id]
        previous = max((r for r in rank.values() if r < rank[stack]), default=None)
        earlier = {deploys[s] for s, r in rank.items() if r == previous}
        waits_for = depends_on(workflow, job_id)
        if not earlier <= waits_for:
            problems.append(f"job {job_id}: deploys {stack} without waiting for {sorted(earlier - waits_for)}")
        later = {deploys[s] for s, r in rank.items() if r > rank[stack]}
        if later & waits_for:
            problems.append(f"job {job_id}: deploys {stack} after {sorted(later & waits_for)}, a later environment")
        if previous is None and not {"tests", "check"} <= waits_for:
            problems.append(f"job {job_id}: the first deploy should wait for the tests and the check")
        trusted = stacks[stack].github_environments or (stacks[stack].environment,)
        if job.get("environment") not in trusted:
            problems.append(
                f"job {job_id}: environment {job.get('environment')!r}, but {stack}'s deploy identity trusts {list(trusted)}"
            )
        concurrency = job.get("concurrency") or {}
        if stack not in str(concurrency.get("group", "")) or concurrency.get("cancel-in-progress", False) is not False:
            problems.append(f"job {job_id}: needs a concurrency group per stack that never cancels a running update")
        condition = str(job.get("if", ""))
        if "refs/heads/main" not in condition or "pull_request" not in condition:
            problems.append(f"job {job_id}: should deploy from main only, never for a pull request")
        for command in commands(workflow, job_id):
            if command.starts("pulumi", "up"):
                problems += policy_pack_problems(command, stacks[stack])
                if "--yes" not in command.argv:
                    problems.append(f"job {job_id}: pulumi up without --yes waits for a prompt")
                if not any(FAKE_SHA in message for message in command.values("--message")):
                    problems.append(f"job {job_id}: the update message should carry the commit SHA")
    return problems


#: Provisions a stack's managed network for serverless Spark after its update (model monitors run on it).
PROVISION_SPARK = ".github/scripts/provision-spark-network.sh"


def spark_stacks() -> set[str]:
    """The CI stacks whose program says whether they need serverless Spark (the ``sparkNetwork`` output): the
    environment stacks, read from their plans rather than listed here."""
    return {stack for stack in ci_stacks() if "sparkNetwork" in preview_stack(stack).outputs}


def spark_provisioning_problems(workflow: Mapping[str, Any], stacks: set[str], ml_extension: str) -> list[str]:
    """Each stack in ``stacks`` is provisioned for serverless Spark by its deploy job, after its ``pulumi up``, with
    the CLI signed in again first (the update may outlast the OIDC token) and the ``ml`` extension models.yml pins."""
    problems: list[str] = []
    deploys = deploy_jobs(workflow)
    for stack in sorted(stacks):
        if stack not in deploys:
            continue  # deploy_problems reports a stack no job deploys
        job_id = deploys[stack]
        ordered = [(index, shell_commands(str(step.get("run", "")))) for index, step in enumerate(steps(jobs(workflow)[job_id]))]
        up = next((i for i, argvs in ordered if any(a[:2] == ["pulumi", "up"] for a in argvs)), None)
        found = [(i, argvs) for i, argvs in ordered if ["bash", PROVISION_SPARK, stack] in argvs]
        if not found:
            problems.append(f"job {job_id}: never runs bash {PROVISION_SPARK} {stack} (its model monitors need serverless Spark)")
            continue
        index, argvs = found[0]
        if up is None or index <= up:
            problems.append(f"job {job_id}: provisions {stack} for Spark before pulumi up has created its workspace")
        position = argvs.index(["bash", PROVISION_SPARK, stack])
        if ["bash", SIGN_IN_AGAIN] not in argvs[:position]:
            problems.append(f"job {job_id}: should sign in again ({SIGN_IN_AGAIN}) before provisioning Spark: pulumi up may outlast the token")
        version = str((steps(jobs(workflow)[job_id])[index].get("env") or {}).get("AZ_ML_EXTENSION_VERSION"))
        if version != ml_extension:
            problems.append(f"job {job_id}: the ml extension for Spark provisioning is {version}, models.yml pins {ml_extension}")
    return problems


def cli_commands() -> set[str]:
    """The CLI's top-level command names."""
    return {
        name
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }


def blueprint_problems(workflow: Mapping[str, Any]) -> list[str]:
    """Every ``blueprint ...`` command parses with the CLI's own parser (a landing command once the CLI has it)."""
    problems: list[str] = []
    known = cli_commands()
    for command in commands(workflow):
        argv = list(command.argv)
        if argv[:3] in (["python", "-m", "blueprint"], [".venv/bin/python", "-m", "blueprint"]):
            args = argv[3:]
        elif argv and Path(argv[0]).name == "blueprint":
            args = argv[1:]
        else:
            continue
        args = _without_redirections(args)
        if tuple(args[:2]) in LANDING_COMMANDS and args[0] not in known:
            continue
        with contextlib.redirect_stderr(io.StringIO()) as errors:
            try:
                build_parser().parse_args(args)
            except SystemExit:
                problems.append(f"job {command.job}: {' '.join(argv)}: {errors.getvalue().strip().splitlines()[-1]}")
    return problems


REDIRECTION = re.compile(r"^\d*(?:>>?|<)(?:&\d+)?")


def _without_redirections(argv: list[str]) -> list[str]:
    """``cmd a > f 2>/dev/null`` -> ``cmd a``: the shell, not the command, reads redirections."""
    kept: list[str] = []
    skip_target = False
    for token in argv:
        if skip_target:
            skip_target = False
            continue
        match = REDIRECTION.match(token)
        if match:
            skip_target = match.end() == len(token)  # `>` alone: the target is the next token
            continue
        kept.append(token)
    return kept


FILE_OPTIONS = ("--file", "-f", "--request-file", "--policy-pack", "--policy-pack-config")


def path_problems(workflow: Mapping[str, Any]) -> list[str]:
    """Files the commands name (``--file``, ``bash script``, ...) exist, once variables are resolved."""
    problems: list[str] = []
    for command in commands(workflow):
        paths = [value for option in FILE_OPTIONS for value in command.values(option)]
        if command.starts("bash") and len(command.argv) > 1:
            paths.append(command.argv[1])
        for path in paths:
            if "$" in path or "EXPRESSION" in path or path.startswith("/"):
                continue
            if not (REPO / path).exists():
                problems.append(
                    f"job {command.job}: {' '.join(command.argv[:3])} ... names {path}, which does not exist"
                )
    return problems


def readme_command_problems(workflow: Mapping[str, Any], expected: list[str], job_id: str = "tests") -> list[str]:
    """The tests job (or ``job_id``) runs the README's test command, in its order."""
    ran = [" ".join(shlex.quote(a) for a in c.argv) for c in commands(workflow, job_id)]
    wanted = [" ".join(shlex.quote(a) for a in shlex.split(part)) for part in expected]
    position = 0
    for command in ran:
        if position < len(wanted) and command == wanted[position]:
            position += 1
    return [] if position == len(wanted) else [f"job {job_id} should run {' && '.join(expected)}; runs {ran}"]


def check_job_problems(workflow: Mapping[str, Any]) -> list[str]:
    """The offline check writes its reports; SARIF to code scanning, all to an artifact, even when it fails."""
    job = jobs(workflow).get("check")
    if job is None:
        return ["no job check"]
    problems: list[str] = []
    checks = [
        c
        for c in commands(workflow, "check")
        if c.argv and Path(c.argv[0]).name == "blueprint" and c.argv[1:2] == ("check",)
    ]
    if not checks or checks[0].values("--output-dir") != ["reports"]:
        problems.append("job check: should run blueprint check --output-dir reports")
    sarif = action_steps(job, "github/codeql-action/upload-sarif")
    if not sarif or (sarif[0].get("with") or {}).get("sarif_file") != "reports/check.sarif":
        problems.append("job check: should upload reports/check.sarif with github/codeql-action/upload-sarif")
    for step in sarif + action_steps(job, "actions/upload-artifact"):
        if "always()" not in str(step.get("if", "")):
            problems.append(f"job check: {step.get('uses')} should run even when the check fails (if: always())")
    if not action_steps(job, "actions/upload-artifact"):
        problems.append("job check: the reports are not kept as an artifact")
    if checks and "--merge" in checks[0].argv:
        problems += shard_problems(workflow, checks[0])
    return problems


def shard_problems(workflow: Mapping[str, Any], merge: Command) -> list[str]:
    """The check job merges every shard of one split, each shard job checks its own, and their reports reach it."""
    job = jobs(workflow).get("check-shard")
    if job is None or "check-shard" not in needs(jobs(workflow)["check"]):
        return ["job check: merges shards without waiting for a job check-shard"]
    problems: list[str] = []
    shards = [
        c for c in commands(workflow, "check-shard")
        if c.argv and Path(c.argv[0]).name == "blueprint" and c.argv[1:2] == ("check",)
    ]
    splits = [c.values("--shard")[0] if c.values("--shard") else "" for c in shards]
    count = len(splits)
    if sorted(splits) != sorted(f"{i}/{count}" for i in range(1, count + 1)):
        problems.append(f"job check-shard: its matrix should run shards 1/{count} to {count}/{count}; runs {splits}")
    for command in shards:
        if command.values("--format") != ["json"] or command.values("--output-dir") != ["shard"]:
            problems.append(f"job check-shard: {' '.join(command.argv)} should write shard/check.json (--format json --output-dir shard)")
    uploads = action_steps(job, "actions/upload-artifact")
    if not uploads or (uploads[0].get("with") or {}).get("name") != "check-shard-${{ matrix.shard }}" \
            or (uploads[0].get("with") or {}).get("path") != "shard/check.json":
        problems.append("job check-shard: should upload shard/check.json as the artifact check-shard-${{ matrix.shard }}")
    downloads = action_steps(jobs(workflow)["check"], "actions/download-artifact")
    if not downloads or (downloads[0].get("with") or {}).get("path") != "shards":
        problems.append("job check: should download the shards' artifacts into shards/")
    merged = list(merge.argv[merge.argv.index("--merge") + 1 :])
    merged = merged[: next((i for i, a in enumerate(merged) if a.startswith("-")), len(merged))]
    expected = [f"shards/check-shard-{i}/check.json" for i in range(1, count + 1)]
    if sorted(merged) != expected:
        problems.append(f"job check: should merge {expected}; merges {merged}")
    return problems


#: Where the models workflow renders ml_templates/ for its stack (``blueprint templates render``).
RENDERED = "$RUNNER_TEMP/templates/"


def _template_of(file: str) -> str:
    """A rendered template's source: ``$RUNNER_TEMP/templates/<path>`` was rendered from ``ml_templates/<path>``."""
    return "ml_templates/" + file[len(RENDERED):] if file.startswith(RENDERED) else file


def template_keys_problems(workflow: Mapping[str, Any]) -> list[str]:
    """``--set`` overrides name fields the ``--file`` template has (jobs and inputs by their own names)."""
    problems: list[str] = []
    for command in commands(workflow):
        files = [_template_of(file) for file in command.values("--file")]
        if not files or not command.values("--set") or "$" in files[0]:
            continue
        template = yaml.safe_load((REPO / files[0]).read_text()) if (REPO / files[0]).is_file() else {}
        for assignment in command.values("--set"):
            key = assignment.partition("=")[0].split(".")
            if key[0] not in template:
                problems.append(f"job {command.job}: --set {assignment}: {files[0]} has no {key[0]}")
            elif key[0] in ("jobs", "inputs", "outputs") and (len(key) < 2 or key[1] not in (template[key[0]] or {})):
                problems.append(f"job {command.job}: --set {assignment}: {files[0]} has no {'.'.join(key[:2])}")
    return problems


def models_problems(workflow: Mapping[str, Any], stacks: Mapping[str, Stack]) -> list[str]:
    """Train in staging, deploy the winner there at 0% tagged with the commit, promote to prod by pull request."""
    problems: list[str] = []
    all_jobs = jobs(workflow)
    for job_id in ("train", "deploy-staging", "promote-prod"):
        if job_id not in all_jobs:
            return [f"models: no job {job_id}"]
    env = literal_env(workflow)
    staging, prod = stacks.get("staging"), stacks.get("prod")
    models_environment = (staging.models_environment,) if staging and staging.models_environment else ()
    for job_id, trusted in (
        ("train", models_environment),  # the models identity: no infrastructure role, no Pulumi state
        ("deploy-staging", models_environment),
        ("promote-prod", prod.github_environments if prod else ()),  # no Azure: the approval of the promotion
    ):
        if all_jobs[job_id].get("environment") not in trusted:
            problems.append(
                f"job {job_id}: environment {all_jobs[job_id].get('environment')!r}, expected one of {list(trusted)}"
            )
    for job_id in ("train", "deploy-staging"):
        if any(c.starts("pulumi") for c in commands(workflow, job_id)) or uses_action(all_jobs[job_id], "pulumi/actions"):
            problems.append(f"job {job_id}: reads Pulumi state; the models identity has none (names come from blueprint preview)")
    if "train" not in depends_on(workflow, "deploy-staging") or "deploy-staging" not in depends_on(
        workflow, "promote-prod"
    ):
        problems.append("models: jobs should run train -> deploy-staging -> promote-prod")
    if "needs.train.outputs.registered" not in str(all_jobs["deploy-staging"].get("if", "")):
        problems.append("job deploy-staging: should run only when train registered a version (the gate)")
    if "registered" not in (all_jobs["train"].get("outputs") or {}):
        problems.append("job train: should output whether the pipeline registered a version")

    every = commands(workflow)
    submits = [c for c in every if c.starts("az", "ml", "job", "create")]
    renders = [c for c in every if c.starts(".venv/bin/blueprint", "templates", "render") and c.job == "train"]
    publishes = [c for c in every if c.starts("az", "ml", "component", "create") and c.values("--registry-name") and c.job == "train"]
    if not renders or renders[0].argv[3:4] != ("staging",) or renders[0].values("--output") != [RENDERED.rstrip("/")]:
        problems.append(f"job train: should render the templates for staging (blueprint templates render staging --output {RENDERED.rstrip('/')})")
    elif not publishes:
        problems.append("job train: should publish the rendered components into the registry (az ml component create --registry-name) before submitting")
    elif not submits or submits[0].values("--file") != [RENDERED + "pipelines/training-pipeline.yml"]:
        problems.append(f"job train: should submit the rendered {RENDERED}pipelines/training-pipeline.yml with az ml job create")
    elif f"tags.git_commit={FAKE_SHA}" not in submits[0].values("--set"):
        problems.append("job train: the pipeline job should be tagged --set tags.git_commit=${{ github.sha }}")
    elif f"jobs.register.environment_variables.GITHUB_SHA={FAKE_SHA}" not in submits[0].values("--set"):
        problems.append("job train: the register step needs GITHUB_SHA to tag the version it registers")
    elif not any(value.startswith("inputs.min_score=") for value in submits[0].values("--set")):
        problems.append("job train: the pipeline should get the staging stack's gate floor (--set inputs.min_score=..., its modelGate output)")
    if not any(c.starts("az", "ml", "model", "share") and c.values("--registry-name") for c in every):
        problems.append("job train: should share the new version into the registry (az ml model share)")
    # The candidate is what this pipeline run says it registered, checked against the version's own job: a tag
    # proves nothing (anyone who may edit a model version can set one on a version of their own).
    downloads = [c for c in every if c.starts("az", "ml", "job", "download") and c.job == "train"]
    if not downloads or downloads[0].values("--output-name") != ["registration"]:
        problems.append("job train: should read the pipeline's registration output (az ml job download --output-name registration)")
    if not any(c.starts("az", "ml", "model", "show") and c.values("--query") == ["job_name"] for c in every):
        problems.append("job train: should check the registered version's job_name against the pipeline's register step")
    for command in every:
        if command.starts("az", "ml", "model", "list") and "tags." in " ".join(command.values("--query")):
            problems.append(f"job {command.job}: picks a model version by a tag ({' '.join(command.values('--query'))})")
    for command in every:
        if command.starts("az", "extension", "add"):
            version = (command.values("--version") or [""])[0]
            if not re.fullmatch(r"\d+\.\d+\.\d+", version):
                problems.append(f"job {command.job}: az extension add without an exact --version, has {version!r}")
    deployments = [c for c in every if c.starts("az", "ml", "online-deployment", "create")]
    if not deployments:
        problems.append("job deploy-staging: should create the candidate with az ml online-deployment create")
    for command in deployments:
        keys = {s.partition("=")[0]: s.partition("=")[2] for s in command.values("--set")}
        if keys.get("tags.git_commit") != FAKE_SHA:
            problems.append(
                f"job {command.job}: the deployment should be tagged --set tags.git_commit=${{{{ github.sha }}}}"
            )
        if not {"name", "endpoint_name", "model"} <= set(keys):
            problems.append(f"job {command.job}: the deployment should set its name, endpoint_name and model")
        if "--all-traffic" in command.argv:
            problems.append(f"job {command.job}: the candidate must start at 0% traffic (no --all-traffic)")
    invokes = [c for c in every if c.starts("az", "ml", "online-endpoint", "invoke")]
    if not invokes or not invokes[0].values("--deployment-name") or not invokes[0].values("--request-file"):
        problems.append(
            "job deploy-staging: should smoke-test through az ml online-endpoint invoke --deployment-name --request-file"
        )
    promotes = [c for c in every if c.argv and Path(c.argv[0]).name == "blueprint" and c.argv[1:2] == ("promote",)]
    if not promotes or promotes[0].job != "promote-prod" or promotes[0].argv[2:3] != ("prod",):
        problems.append("job promote-prod: should run blueprint promote prod")
    else:
        problems += promotion_target_problems(promotes[0], env)
    if not any(c.starts("gh", "pr", "create") and c.job == "promote-prod" for c in every):
        problems.append("job promote-prod: should open the pull request with gh pr create")
    return problems


def promotion_target_problems(command: Command, env: Mapping[str, str]) -> list[str]:
    """The endpoint and deployment ``blueprint promote`` moves exist in prod and serve the workflow's model."""
    endpoint, deployment = (command.values("--endpoint") or [""])[0], (command.values("--deployment") or [""])[0]
    endpoints = stack_config("prod").get("endpoints") or []
    found = next((e for e in endpoints if e.get("name") == endpoint), None)
    if found is None:
        return [f"blueprint promote --endpoint {endpoint}: prod has no such endpoint"]
    target = next((d for d in found.get("deployments", []) if d.get("name") == deployment), None)
    if target is None:
        return [f"blueprint promote --deployment {deployment}: prod's endpoint {endpoint} has no such deployment"]
    if not str(target.get("model", "")).startswith(f"registry:{env.get('MODEL_NAME')}:"):
        return [
            f"prod's {endpoint}/{deployment} serves {target.get('model')}, not a version of {env.get('MODEL_NAME')}"
        ]
    return []


# --- Pull requests that change model code ------------------------------------------------------------------------


def path_filter_matches(pattern: str, path: str) -> bool:
    """GitHub's path filter glob: ``**`` any characters, ``*`` any but ``/``, ``?`` one but ``/``."""
    regex, index = "", 0
    while index < len(pattern):
        if pattern.startswith("**", index):
            regex, index = regex + ".*", index + 2
        elif pattern[index] in "*?":
            regex, index = regex + ("[^/]*" if pattern[index] == "*" else "[^/]"), index + 1
        else:
            regex, index = regex + re.escape(pattern[index]), index + 1
    return re.fullmatch(regex, path) is not None


def triggered_by_pull_request(workflow: Mapping[str, Any], changed: str) -> bool:
    """Whether a pull request changing only the file ``changed`` starts the workflow (``paths``, in order with
    ``!`` negations, and ``paths-ignore``)."""
    on = workflow.get("on") or {}
    if "pull_request" not in on:
        return False
    filters = on.get("pull_request") or {}
    if "paths" in filters:
        selected = False
        for pattern in filters["paths"] or ():
            negated = pattern.startswith("!")
            if path_filter_matches(pattern.removeprefix("!"), changed):
                selected = not negated
        return selected
    return not any(path_filter_matches(p, changed) for p in filters.get("paths-ignore") or ())


def runs_for_event(workflow: Mapping[str, Any], job_id: str, event: str) -> bool:
    """Whether the job's ``if`` (and that of every job it needs) lets it run for ``event``, reading its
    ``github.event_name == / != '<event>'`` comparisons."""
    job = jobs(workflow)[job_id]
    condition = str(job.get("if", ""))
    if re.search(rf"github\.event_name\s*!=\s*'{event}'", condition):
        return False
    wanted = re.findall(r"github\.event_name\s*==\s*'(\w+)'", condition)
    if wanted and event not in wanted:
        return False
    return all(runs_for_event(workflow, other, event) for other in needs(job))


def pull_request_jobs(workflow: Mapping[str, Any], changed: str) -> list[str]:
    """The jobs a pull request changing ``changed`` runs."""
    if not triggered_by_pull_request(workflow, changed):
        return []
    return [job_id for job_id in jobs(workflow) if runs_for_event(workflow, job_id, "pull_request")]


def model_code_test_problems(workflows: Mapping[str, Mapping[str, Any]], changed: str) -> list[str]:
    """A pull request changing ``changed`` runs a job with the README's test command and the local pipeline run."""
    started: list[str] = []
    for name, workflow in workflows.items():
        for job_id in pull_request_jobs(workflow, changed):
            started.append(f"{name}/{job_id}")
            tests = readme_command_problems(workflow, readme_test_command(), job_id) == []
            if tests and any(c.argv == RUN_LOCAL for c in commands(workflow, job_id)):
                return []
    return [
        f"a pull request changing {changed} runs no job with the README's test command and {' '.join(RUN_LOCAL)}"
        f" (it starts {started or 'nothing'})"
    ]


def pull_request_job_problems(workflow: Mapping[str, Any], name: str) -> list[str]:
    """The jobs any pull request runs read the code and nothing else: no OIDC token, no GitHub environment (whose
    identity it could become), no write scope, no credentials left in .git/config."""
    problems: list[str] = []
    for job_id, job in jobs(workflow).items():
        if not ("pull_request" in (workflow.get("on") or {}) and runs_for_event(workflow, job_id, "pull_request")):
            continue
        permissions = permissions_of(workflow, job)
        if grants_write(permissions, "id-token"):
            problems.append(f"{name} job {job_id}: runs for pull requests with id-token: write")
        for scope in sorted(written_scopes(permissions) - {"id-token"}):
            problems.append(f"{name} job {job_id}: runs for pull requests and writes {scope}")
        if job.get("environment"):
            problems.append(f"{name} job {job_id}: runs for pull requests in GitHub environment {job['environment']!r}")
        for step in action_steps(job, "actions/checkout"):
            if (step.get("with") or {}).get("persist-credentials") is not False:
                problems.append(f"{name} job {job_id}: checkout without persist-credentials: false")
    return problems


# --- The pull-request report and its comment ---------------------------------------------------------------------

#: The artifact a stack's report goes into: the report job uploads it, the comment job downloads it.
REPORT_ARTIFACT = "pr-report-${{ matrix.stack }}"
#: The only actions the job holding the comment-writing token runs: it fetches the report, and runs no project code.
COMMENT_JOB_ACTIONS = frozenset({"actions/download-artifact"})
#: Commands that would run code the pull request (or its artifact) brought.
CODE_RUNNERS = frozenset({"bash", "sh", "python", "python3", "source", ".", "eval", "pip", "make"})


def report_marker(stack: str) -> str:
    """The hidden first line of a stack's report comment, as ``blueprint report`` writes it."""
    from blueprint.tools.report.comment import marker

    return marker(stack)


def _is_blueprint(command: Command, name: str) -> bool:
    return bool(command.argv) and Path(command.argv[0]).name == "blueprint" and command.argv[1:2] == (name,)


def report_job_problems(workflow: Mapping[str, Any], stacks: Mapping[str, Stack]) -> list[str]:
    """Each CI stack gets a report for pull requests, by the pull request's code with a read-only token, against the
    pull request's base (fetched: fetch-depth 0; passed through an environment variable), kept as an artifact."""
    job = jobs(workflow).get("report")
    if job is None:
        return ["no job report"]
    problems: list[str] = []
    matrix = {c.get("stack") for c in matrix_combinations(job)}
    for stack in sorted(set(stacks) - matrix):
        problems.append(f"stacks/Pulumi.{stack}.yaml gets no pull-request report: add {stack} to the matrix of job report")
    for stack in sorted(matrix - set(stacks), key=str):
        problems.append(f"job report: matrix stack {stack} is not a stack CI deploys")
    if not runs_for_event(workflow, "report", "pull_request") or runs_for_event(workflow, "report", "push"):
        problems.append("job report: should run for pull requests only")
    if written_scopes(permissions_of(workflow, job)):
        problems.append("job report: runs the pull request's code with write access; it needs contents: read only")
    checkout = (action_steps(job, "actions/checkout") or [{}])[0].get("with") or {}
    if checkout.get("fetch-depth") != 0:
        problems.append("job report: checkout without fetch-depth: 0 has no base commit to compare with")
    if checkout.get("persist-credentials") is not False:
        problems.append("job report: checkout without persist-credentials: false")
    runs = [c for c in commands(workflow, "report") if _is_blueprint(c, "report")]
    if not runs:
        return [*problems, "job report: never runs blueprint report"]
    step = _step(job, "blueprint report")
    for command in runs:
        if command.argv[2:3] != (command.matrix.get("stack"),):
            problems.append(f"job report: reports on {command.argv[2:3]}, not the matrix stack {command.matrix.get('stack')}")
    written = [Command("report", tuple(argv), {}) for argv in shell_commands(str(step.get("run", "")))]  # variables unresolved
    bases = [value for c in written for value in c.values("--base")]
    variable = SHELL_VARIABLE.fullmatch(bases[0] if bases else "")
    name = (variable.group(1) or variable.group(2)) if variable else ""
    if str((step.get("env") or {}).get(name, "")).replace(" ", "") != "${{github.event.pull_request.base.sha}}":
        problems.append("job report: --base should be the pull request's base commit, through an environment variable")
    if "${{" in str(step.get("run", "")):
        problems.append("job report: interpolates an expression into its script (pass it through env)")
    output = (runs[0].values("--output-dir") or [""])[0]
    uploads = [s.get("with") or {} for s in action_steps(job, "actions/upload-artifact")]
    if not any(u.get("name") == REPORT_ARTIFACT and str(u.get("path", "")).rstrip("/") == output for u in uploads):
        problems.append(f"job report: should upload its --output-dir ({output or 'none given'}) as the artifact {REPORT_ARTIFACT}")
    return problems


def comment_job_problems(workflow: Mapping[str, Any]) -> list[str]:
    """The comment is posted by a job that holds ``pull-requests: write`` and nothing else, runs no code of the pull
    request (no checkout, no action but download-artifact, no script from the artifact, no expression in its
    script), only for pull requests from the repository itself, and posts only the stack's own comment (its marker),
    updating the one posted before."""
    writers = [name for name, job in jobs(workflow).items()
               if "pull-requests" in written_scopes(permissions_of(workflow, job)) and runs_for_event(workflow, name, "pull_request")]
    problems = [] if writers in ([], ["comment"]) else [f"jobs writing to pull requests for a pull request: {writers}; only comment may"]
    job = jobs(workflow).get("comment")
    if job is None:
        return [*problems, "no job comment"]
    if permissions_of(workflow, job) != {"pull-requests": "write"}:
        problems.append(f"job comment: should hold pull-requests: write and nothing else, holds {permissions_of(workflow, job)}")
    for ref in all_uses(job):
        if ref.split("@")[0] not in COMMENT_JOB_ACTIONS:
            problems.append(f"job comment: runs {ref}; the job holding the write token runs no checkout and no other action")
    if "report" not in needs(job):
        problems.append("job comment: should wait for the job report, whose artifact it posts")
    if "head.repo.full_name == github.repository" not in str(job.get("if", "")):
        problems.append("job comment: should run for the repository's own pull requests only (a fork's token cannot write)")
    if "pull_request_target" in (workflow.get("on") or {}):
        problems.append("job comment: the workflow must not run on pull_request_target")
    for step in steps(job):
        if "${{" in str(step.get("run", "")):
            problems.append("job comment: interpolates an expression into its script (pass it through env)")
    report_stacks = {c.get("stack") for c in matrix_combinations(jobs(workflow).get("report") or {})}
    stacks = {c.get("stack") for c in matrix_combinations(job)}
    if stacks != report_stacks:
        problems.append(f"job comment: comments on {sorted(stacks, key=str)}, the report job reports on {sorted(report_stacks, key=str)}")
    downloads = [s.get("with") or {} for s in action_steps(job, "actions/download-artifact")]
    if not downloads or downloads[0].get("name") != REPORT_ARTIFACT:
        problems.append(f"job comment: should download the artifact {REPORT_ARTIFACT}")
    found = commands(workflow, "comment")
    for command in found:
        if command.argv and (Path(command.argv[0]).name in CODE_RUNNERS or command.argv[0].startswith(("./", ".venv", "report/"))):
            problems.append(f"job comment: runs {' '.join(command.argv)}: the job holding the write token runs no code")
    for stack in sorted(stacks, key=str):
        mine = [c for c in found if c.matrix.get("stack") == stack]
        if not any(f"marker={report_marker(str(stack))}" in c.argv for c in mine):
            problems.append(f"job comment: never checks the comment's marker line {report_marker(str(stack))!r}")
        methods = {m for c in mine if c.starts("gh", "api") for m in c.values("--method")}
        if methods != {"PATCH", "POST"}:
            problems.append(f"job comment: should update the comment found by its marker (PATCH) or post one (POST), uses {sorted(methods)}")
    return problems


def rendered_artifact_problems(workflow: Mapping[str, Any], variable: str) -> list[str]:
    """The tests job names a directory for what tests render (``variable``) and keeps it, even when tests fail."""
    job = jobs(workflow).get("tests") or {}
    directories = {str((s.get("env") or {}).get(variable)) for s in steps(job) if variable in (s.get("env") or {})}
    if not directories:
        return [f"job tests: never sets {variable}, so the rendering test's screenshot is not kept"]
    uploads = [s for s in action_steps(job, "actions/upload-artifact") if str((s.get("with") or {}).get("path", "")).rstrip("/") in directories]
    if not uploads:
        return [f"job tests: does not upload {sorted(directories)} as an artifact"]
    if "always()" not in str(uploads[0].get("if", "")):
        return ["job tests: should keep what the tests rendered when they fail too (if: always())"]
    return []


# --- Staging's smoke test goes through prod's serving path -------------------------------------------------------

#: The properties of an online deployment that decide how a request is served.
SERVING_KEYS = (
    "codeConfiguration",
    "environmentId",
    "instanceType",
    "requestSettings",
    "livenessProbe",
    "readinessProbe",
    "appInsightsEnabled",
    "dataCollector",
)


def _casefolded(value: Any) -> Any:
    """``value`` with every string casefolded: ARM reads enum values (``Enabled``, ``Hour``) in any case."""
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, Mapping):
        return {key: _casefolded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_casefolded(item) for item in value]
    return value


def candidate_serving_definition(workflow: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The template staging's candidate is created from, and what ``az ml online-deployment create`` sends to ARM for
    it: azure-ai-ml loads the template with the ``--set`` overrides as the CLI does and converts it to the REST body."""
    azure_ml = pytest.importorskip("azure.ai.ml")
    create = next(c for c in commands(workflow) if c.starts("az", "ml", "online-deployment", "create"))
    template = create.values("--file")[0]
    # Values known only at run time (the model the train job shared) stay as the template has them: the model is not
    # how it is served.
    overrides = [
        dict([assignment.split("=", 1)]) for assignment in create.values("--set")
        if "EXPRESSION" not in assignment and "$" not in assignment
    ]
    with warnings.catch_warnings():  # azure-ai-ml's experimental-class and marshmallow deprecation notices
        warnings.simplefilter("ignore")
        deployment = azure_ml.load_online_deployment(REPO / template, params_override=overrides)
        properties = deployment._to_rest_object(location="westeurope").properties.as_dict()
    return template, {key: _casefolded(properties.get(key)) for key in SERVING_KEYS}


def prod_serving_definition(workflow: Mapping[str, Any]) -> dict[str, Any]:
    """How prod's plan serves the deployment a promotion moves (``ENDPOINT``/``PROD_DEPLOYMENT``)."""
    env = literal_env(workflow)
    deployment = next(
        r for r in preview_stack("prod").of_type("azure-native:machinelearningservices:OnlineDeployment")
        if r.name == f"endpoint-{env['ENDPOINT']}-{env['PROD_DEPLOYMENT']}"
    )
    properties = deployment.inputs["properties"]
    return {key: _casefolded(properties.get(key)) for key in SERVING_KEYS}


def serving_path_problems(workflow: Mapping[str, Any], prod: Mapping[str, Any]) -> list[str]:
    """Staging's candidate is served as ``prod`` (prod's planned deployment) is: same code (none for an MLflow
    model), environment, instance type, request limits, probes and telemetry."""
    template, candidate = candidate_serving_definition(workflow)
    return [
        f"job deploy-staging: the candidate ({template} with its --set) has {key} {candidate[key]!r}; prod serves "
        f"with {prod[key]!r}"
        for key in SERVING_KEYS
        if candidate[key] != prod[key]
    ]


# --- The shipped workflows pass every check --------------------------------------------------------------------


@pytest.fixture(scope="module")
def infrastructure() -> dict[str, Any]:
    return load_workflow(INFRASTRUCTURE)


@pytest.fixture(scope="module")
def models() -> dict[str, Any]:
    return load_workflow(MODELS)


GITHUB_FILES = sorted([*GITHUB.glob("workflows/*.yml"), *GITHUB.glob("actions/*/action.yml")])


def test_the_workflows_and_their_action_exist() -> None:
    """The two workflows, the composite action and the sign-in script are where the docs say."""
    assert {INFRASTRUCTURE, MODELS, PULUMI_LOGIN} <= set(GITHUB_FILES)
    assert (REPO / SIGN_IN_AGAIN).is_file()


def test_infrastructure_triggers(infrastructure: dict[str, Any]) -> None:
    """Pull requests, pushes to main and manual runs, on the infrastructure's paths."""
    assert infrastructure_trigger_problems(infrastructure) == []


def test_models_triggers(models: dict[str, Any]) -> None:
    """Pushes to main under the model code, and manual runs."""
    assert models_trigger_problems(models) == []


def test_infrastructure_jobs(infrastructure: dict[str, Any]) -> None:
    """Tests, the check, the pull-request previews, prod's reviewed preview and one deploy job per stack."""
    assert set(jobs(infrastructure)) == {
        "tests",
        "wheel",
        "check-shard",
        "check",
        "preview",
        "preview-prod",
        "report",
        "comment",
        "deploy-shared",
        "deploy-dev",
        "deploy-staging",
        "deploy-prod",
    }


@pytest.mark.parametrize("path", GITHUB_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_action_is_pinned(path: Path) -> None:
    """A full SHA with its version in a comment, or an exact tag; never a floating major or a branch."""
    assert pin_problems(path.read_text(), str(path.relative_to(REPO))) == []


@pytest.mark.parametrize(
    "path", [*GITHUB_FILES, *sorted(GITHUB.glob("scripts/*"))], ids=lambda p: str(p.relative_to(REPO))
)
def test_no_stored_credential_is_used(path: Path) -> None:
    """OIDC only: no secrets, no credentials JSON, no client secret; identities come from GitHub variables."""
    workflow = load_workflow(path) if path.suffix == ".yml" else {}
    assert credential_problems(path.read_text(), workflow, str(path.relative_to(REPO))) == []


@pytest.mark.parametrize("path", [INFRASTRUCTURE, MODELS], ids=lambda p: p.name)
def test_only_jobs_that_sign_in_to_azure_get_an_oidc_token(path: Path) -> None:
    assert oidc_problems(load_workflow(path)) == []


@pytest.mark.parametrize("path", [INFRASTRUCTURE, MODELS], ids=lambda p: p.name)
def test_permissions_are_least_privilege(path: Path) -> None:
    assert permission_problems(load_workflow(path)) == []


def test_preview_covers_every_stack_ci_deploys(infrastructure: dict[str, Any]) -> None:
    """The matrix is the project's stacks minus bootstrap, each with its environment's policy pack config."""
    assert preview_problems(infrastructure, ci_stacks()) == []


def test_deploys_run_in_order_in_their_environments(infrastructure: dict[str, Any]) -> None:
    """shared -> dev -> staging -> prod on main, each in the GitHub environment its identity trusts, with the pack."""
    assert deploy_problems(infrastructure, ci_stacks()) == []
    deploys = deploy_jobs(infrastructure)
    assert [jobs(infrastructure)[deploys[s]]["environment"] for s in ("shared", "dev", "staging", "prod")] == [
        "shared",
        "dev",
        "staging",
        "prod",
    ]


def test_the_wheel_job_builds_the_wheel_offline_and_keeps_it(infrastructure: dict[str, Any]) -> None:
    """The library's wheel (tests/test_wheel.py installs one) is built with the locked setuptools and uploaded."""
    builds = [c.argv for c in commands(infrastructure, "wheel") if "pip" in c.argv[1:3] and "wheel" in c.argv]
    assert builds, "job wheel: should build the wheel with pip wheel"
    assert {"--no-deps", "--no-build-isolation", "--no-index"} <= set(builds[0]) and builds[0][-3:] == ("--wheel-dir", "dist", ".")
    (upload,) = action_steps(jobs(infrastructure)["wheel"], "actions/upload-artifact")
    assert upload["with"]["path"] == "dist/*.whl" and upload["with"]["if-no-files-found"] == "error"


def test_every_ci_stack_gets_a_pull_request_report(infrastructure: dict[str, Any]) -> None:
    """blueprint report against the pull request's base, read-only, kept as an artifact (docs/ci-cd.md)."""
    assert report_job_problems(infrastructure, ci_stacks()) == []


def test_the_report_comment_is_posted_by_a_job_running_no_pull_request_code(infrastructure: dict[str, Any]) -> None:
    assert comment_job_problems(infrastructure) == []


def test_the_tests_job_keeps_the_rendering_tests_screenshot(infrastructure: dict[str, Any]) -> None:
    from tests.test_report import ARTIFACTS_VARIABLE

    assert rendered_artifact_problems(infrastructure, ARTIFACTS_VARIABLE) == []


def test_the_check_job_reports_to_code_scanning(infrastructure: dict[str, Any]) -> None:
    assert check_job_problems(infrastructure) == []


def test_the_tests_job_runs_the_readme_test_command(infrastructure: dict[str, Any]) -> None:
    assert readme_command_problems(infrastructure, readme_test_command()) == []


@pytest.mark.parametrize("path", [INFRASTRUCTURE, MODELS], ids=lambda p: p.name)
def test_blueprint_commands_parse(path: Path) -> None:
    """Every ``blueprint ...`` a job runs is accepted by ``blueprint.tools.cli.build_parser()``."""
    workflow = load_workflow(path)
    assert blueprint_problems(workflow) == []


def test_the_workflows_run_blueprint_commands() -> None:
    """The parse check above has something to check: check in infrastructure, promote in models."""
    names = {
        Path(c.argv[0]).name + " " + c.argv[1]
        for p in (INFRASTRUCTURE, MODELS)
        for c in commands(load_workflow(p))
        if len(c.argv) > 1
    }
    assert {"blueprint check", "blueprint promote"} <= names


@pytest.mark.parametrize("path", [INFRASTRUCTURE, MODELS], ids=lambda p: p.name)
def test_files_the_commands_name_exist(path: Path) -> None:
    assert path_problems(load_workflow(path)) == []


def test_models_train_deploy_and_promote(models: dict[str, Any]) -> None:
    """The gate decides, staging gets a 0% candidate tagged with the commit, prod changes by pull request."""
    assert models_problems(models, project_stacks()) == []


def test_template_overrides_name_real_fields(models: dict[str, Any]) -> None:
    assert template_keys_problems(models) == []


def test_the_pulumi_cli_is_the_sdk_release() -> None:
    """The CLI the workflows install is the release of the pulumi SDK pinned in requirements.txt."""
    pinned = re.search(r"^pulumi==(\S+)", (REPO / "requirements.txt").read_text(), re.MULTILINE)
    assert pinned is not None
    install = next(s for s in load_workflow(PULUMI_LOGIN)["runs"]["steps"] if "pulumi/actions" in str(s.get("uses")))
    assert str(install["with"]["pulumi-version"]) == pinned.group(1)


@pytest.mark.parametrize("changed", ["ml_templates/src/train.py", "tests/test_templates.py"])
def test_a_pull_request_changing_model_code_runs_the_tests_and_the_local_pipeline(
    infrastructure: dict[str, Any], models: dict[str, Any], changed: str
) -> None:
    """The README's test command and ``blueprint pipeline run-local``, in one job a pull request starts."""
    assert model_code_test_problems({"infrastructure": infrastructure, "models": models}, changed) == []
    assert pull_request_jobs(models, changed) == ["test-model-code"]


def test_a_pull_request_changing_only_the_platform_runs_no_models_job(models: dict[str, Any]) -> None:
    """infrastructure.yml tests the platform; the models workflow stays out of such pull requests."""
    assert pull_request_jobs(models, "components/model_endpoint.py") == []


def test_what_a_pull_request_runs_in_models_holds_no_token(models: dict[str, Any]) -> None:
    """models.yml's pull-request job reads the code only: no id-token, no environment, no write, no credentials kept;
    train, deploy-staging and promote-prod never run for a pull request. (infrastructure.yml's previews sign in by
    design: test_pull_request_jobs_reach_neither_prods_state_nor_its_secrets_key.)"""
    assert pull_request_job_problems(models, "models.yml") == []
    assert [j for j in jobs(models) if runs_for_event(models, j, "pull_request")] == ["test-model-code"]


def test_the_event_reading_sees_infrastructures_pull_request_jobs(infrastructure: dict[str, Any]) -> None:
    """The same reading of ``if:`` on infrastructure.yml: tests, the wheel, check and the previews, never a deployment."""
    assert {j for j in jobs(infrastructure) if runs_for_event(infrastructure, j, "pull_request")} == {
        "tests", "wheel", "check-shard", "check", "preview", "preview-prod", "report", "comment"
    }
    assert pull_request_jobs(infrastructure, "tests/test_workflows.py") == []  # models.yml tests such changes


def test_the_staging_smoke_test_serves_as_prod_does(models: dict[str, Any]) -> None:
    """Staging's candidate is prod's deployment: the MLflow model without scoring script or environment, with prod's
    instance type, request limits, probes and telemetry (compared with prod's plan, not with a copy of it)."""
    prod = prod_serving_definition(models)
    assert prod["codeConfiguration"] is None and prod["environmentId"] is None  # prod: no-code MLflow deployment
    assert serving_path_problems(models, prod) == []
    template, _ = candidate_serving_definition(models)
    assert template == SERVING_TEMPLATE


def test_the_training_cluster_and_model_name_match_the_platform(models: dict[str, Any]) -> None:
    """The cluster is one the staging stack creates; the model name is the pipeline's."""
    env = literal_env(models)
    clusters = {c["name"] for c in stack_config("staging").get("clusters", [])}
    assert env["TRAINING_CLUSTER"] in clusters
    pipeline = yaml.safe_load((REPO / "ml_templates" / "pipelines" / "training-pipeline.yml").read_text())
    assert env["MODEL_NAME"] == pipeline["inputs"]["model_name"]


def smoke_request_problems(request: Mapping[str, Any]) -> list[str]:
    """The smoke request carries every feature of src/schema.json, with values the schema allows."""
    schema = json.loads((REPO / "ml_templates" / "src" / "schema.json").read_text())
    features = [c for c in schema["columns"] if c["name"] != schema["target"]]
    body = request.get("input_data") or {}
    problems: list[str] = []
    if body.get("columns") != [c["name"] for c in features]:
        problems.append(f"columns {body.get('columns')} are not the schema's features {[c['name'] for c in features]}")
        return problems
    kinds = {"float": (int, float), "int": (int,), "string": (str,)}
    for number, row in enumerate(body.get("data") or [], start=1):
        for column, value in zip(features, row, strict=True):
            where = f"row {number} {column['name']}={value!r}"
            if not isinstance(value, kinds[column["dtype"]]) or isinstance(value, bool):
                problems.append(f"{where}: not a {column['dtype']}")
            elif "allowed" in column and value not in column["allowed"]:
                problems.append(f"{where}: not one of {column['allowed']}")
            elif not isinstance(value, str) and not column.get("min", value) <= value <= column.get("max", value):
                problems.append(f"{where}: outside [{column.get('min')}, {column.get('max')}]")
    if not body.get("data"):
        problems.append("no rows")
    return problems


def smoke_request_path(workflow: Mapping[str, Any]) -> Path:
    invoke = next(c for c in commands(workflow) if c.starts("az", "ml", "online-endpoint", "invoke"))
    return REPO / invoke.values("--request-file")[0]


def test_the_smoke_request_matches_the_model_schema(models: dict[str, Any]) -> None:
    assert smoke_request_problems(json.loads(smoke_request_path(models).read_text())) == []


def test_the_scoring_script_accepts_the_smoke_request(models: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """score.py's own request parsing takes the request, given the signature train.py writes from the schema."""
    pytest.importorskip("azureml_inference_server_http")
    monkeypatch.syspath_prepend(str(REPO / "ml_templates" / "src"))
    import score

    schema = json.loads((REPO / "ml_templates" / "src" / "schema.json").read_text())
    mlflow_types = {"float": "double", "int": "long", "string": "string"}
    signature = [(c["name"], mlflow_types[c["dtype"]]) for c in schema["columns"] if c["name"] != schema["target"]]
    monkeypatch.setattr(score, "_columns", signature)
    request = json.loads(smoke_request_path(models).read_text())
    assert len(score.parse_request(json.dumps(request))) == len(request["input_data"]["data"])


def run_smoke_check(workflow: Mapping[str, Any], answer: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The smoke-test step's own script, with an ``az`` on PATH that answers ``answer`` to the invoke."""
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "az").write_text("#!/bin/sh\ncat \"$FAKE_ANSWER\"\n")
    (fake / "az").chmod(0o755)
    (tmp_path / "answer.json").write_text(answer)
    step = _step(_job(copy.deepcopy(dict(workflow)), "deploy-staging"), "online-endpoint invoke")
    env = {
        "PATH": f"{fake}:/usr/bin:/bin",
        "FAKE_ANSWER": str(tmp_path / "answer.json"),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        **literal_env(workflow),
        **{k: str(v) for k, v in (step.get("env") or {}).items()},
    }
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def mlflow_answer(tmp_path_factory: pytest.TempPathFactory, models: dict[str, Any]) -> str:
    """What a no-code MLflow deployment answers to the smoke request: train.py's model, loaded as Azure ML's MLflow
    scoring script loads it (pyfunc, which enforces the signature), predicting the split-oriented ``input_data``, the
    result as JSON."""
    mlflow_pyfunc = pytest.importorskip("mlflow.pyfunc")
    import pandas as pd

    src = REPO / "ml_templates" / "src"
    folder = tmp_path_factory.mktemp("no-code")
    spec = importlib.util.spec_from_file_location("smoke_make_data", src / "make_data.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generator.generate(800, seed=3).to_csv(folder / "train.csv", index=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AZUREML_"))}
    trained = subprocess.run(
        [sys.executable, "train.py", "--data", folder / "train.csv", "--target", "label", "--model-output", folder / "model"],
        cwd=src, env=env, capture_output=True, text=True, timeout=180,
    )
    assert trained.returncode == 0, trained.stderr
    request = json.loads(smoke_request_path(models).read_text())["input_data"]
    frame = pd.DataFrame(data=request["data"], columns=request["columns"])
    return json.dumps(mlflow_pyfunc.load_model(str(folder / "model")).predict(frame).tolist())


def test_the_smoke_test_accepts_what_prods_serving_path_answers(
    models: dict[str, Any], mlflow_answer: str, tmp_path: Path
) -> None:
    """The smoke-test step passes on the no-code answer to its request (as the list, or as the JSON string the CLI may
    print), and fails on an answer short of a row or on probabilities where classes belong."""
    rows = len(json.loads(smoke_request_path(models).read_text())["input_data"]["data"])
    assert len(json.loads(mlflow_answer)) == rows
    for answer in (mlflow_answer, json.dumps(mlflow_answer), json.dumps({"predictions": json.loads(mlflow_answer)})):
        result = run_smoke_check(models, answer, tmp_path)
        assert result.returncode == 0, (answer, result.stdout, result.stderr)
    for answer in (json.dumps(json.loads(mlflow_answer)[:-1]), json.dumps([0.1] * rows), "{}"):
        result = run_smoke_check(models, answer, tmp_path)
        assert result.returncode != 0 and "not a prediction per row" in result.stdout, answer


def test_stacks_with_model_monitors_are_provisioned_for_spark_after_their_update(
    infrastructure: dict[str, Any], models: dict[str, Any]
) -> None:
    """Every environment stack's deploy job runs the Spark provisioning after pulumi up (the script decides from the
    stack's outputs); prod, whose drift monitors run on serverless Spark, is one of them and says so."""
    stacks = spark_stacks()
    assert {"dev", "staging", "prod"} <= stacks and "shared" not in stacks
    assert preview_stack("prod").outputs["sparkNetwork"] is True
    assert spark_provisioning_problems(infrastructure, stacks, literal_env(models)["AZ_ML_EXTENSION_VERSION"]) == []


def run_provision_spark(tmp_path: Path, outputs: Mapping[str, Any], ready: list[str]) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The script with a ``pulumi`` that prints ``outputs`` and an ``az`` whose successive ``workspace show`` answers
    are ``ready``; returns the run and the az calls it made."""
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    (tmp_path / "ready").write_text("\n".join(ready) + "\n")
    (fake / "pulumi").write_text('#!/bin/sh\ncat "$FAKE_DIR/outputs.json"\n')
    (fake / "az").write_text(
        '#!/bin/sh\necho "$*" >> "$FAKE_DIR/calls"\n'
        'case "$*" in "ml workspace show"*) head -n 1 "$FAKE_DIR/ready"; sed -i 1d "$FAKE_DIR/ready";; esac\n'
    )
    for tool in ("pulumi", "az"):
        (fake / tool).chmod(0o755)
    env = {"PATH": f"{fake}:/usr/bin:/bin", "FAKE_DIR": str(tmp_path), "AZ_ML_EXTENSION_VERSION": "2.44.1"}
    result = subprocess.run(["bash", str(REPO / PROVISION_SPARK), "prod"], env=env, capture_output=True, text=True, timeout=60)
    calls = (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() else []
    return result, calls


SPARK_OUTPUTS = {"sparkNetwork": True, "workspaceName": "mlw-prod", "resourceGroupName": "rg-prod"}


def test_spark_provisioning_runs_once_and_only_where_monitors_need_it(tmp_path: Path) -> None:
    """Not ready: one provision-network --include-spark for the stack's workspace, then ready. Already ready, or no
    monitor: no provisioning at all (a re-run changes nothing). Still not ready afterwards: the step fails."""
    result, calls = run_provision_spark(tmp_path, SPARK_OUTPUTS, ["false", "true"])
    assert result.returncode == 0, result.stdout + result.stderr
    provisions = [c for c in calls if c.startswith("ml workspace provision-network")]
    assert provisions == ["ml workspace provision-network --name mlw-prod --resource-group rg-prod --include-spark --output none"]
    assert any(c.startswith("extension add --name ml --version 2.44.1") for c in calls)

    for outputs, ready in ((SPARK_OUTPUTS, ["true"]), ({**SPARK_OUTPUTS, "sparkNetwork": False}, [])):
        (tmp_path / "calls").unlink(missing_ok=True)
        result, calls = run_provision_spark(tmp_path, outputs, ready)
        assert result.returncode == 0 and not [c for c in calls if "provision-network" in c], (outputs, calls)
    assert calls == []  # no monitor: the Azure CLI is not even asked

    (tmp_path / "calls").unlink(missing_ok=True)
    result, _ = run_provision_spark(tmp_path, SPARK_OUTPUTS, ["false", "false"])
    assert result.returncode == 1 and "spark_ready false" in result.stdout


# --- Each check can fail: broken copies of the workflows -------------------------------------------------------


def _job(workflow: dict[str, Any], job_id: str) -> dict[str, Any]:
    return workflow["jobs"][job_id]


def _step(job: dict[str, Any], needle: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if needle in str(s.get("uses", "")) or needle in str(s.get("run", "")))


def _replace_run(job: dict[str, Any], old: str, new: str) -> None:
    step = _step(job, old)
    step["run"] = step["run"].replace(old, new)


def _drop_stack_from_matrix(w: dict[str, Any]) -> None:
    include = _job(w, "preview")["strategy"]["matrix"]["include"]
    include[:] = [e for e in include if e["stack"] != "staging"]


def _wrong_environment_in_matrix(w: dict[str, Any]) -> None:
    _job(w, "preview")["strategy"]["matrix"]["include"][2]["environment"] = "dev"


#: A breakage: how to break a copy of a workflow, the check that must notice, and what its report says.
Breakage = tuple[Callable[[dict[str, Any]], object], Callable[[dict[str, Any]], list[str]], str]

INFRASTRUCTURE_BREAKAGES: dict[str, Breakage] = {
    "pull_request_target": (
        lambda w: w["on"].update(pull_request_target={}),
        infrastructure_trigger_problems,
        "pull_request_target",
    ),
    "push to every branch": (
        lambda w: w["on"]["push"].update(branches=["**"]),
        infrastructure_trigger_problems,
        "main only",
    ),
    "paths differ": (
        lambda w: w["on"]["pull_request"]["paths"].pop(),
        infrastructure_trigger_problems,
        "different paths",
    ),
    "stacks not watched": (
        lambda w: [p["paths"].remove("stacks/**") for p in (w["on"]["push"], w["on"]["pull_request"])],
        infrastructure_trigger_problems,
        "stacks/**",
    ),
    "typo in a path": (
        lambda w: w["on"]["push"]["paths"].append("componets/**"),
        infrastructure_trigger_problems,
        "matches no file",
    ),
    "no id-token for azure/login": (
        lambda w: _job(w, "deploy-dev")["permissions"].pop("id-token"),
        oidc_problems,
        "without permissions id-token",
    ),
    "id-token without azure/login": (
        lambda w: _job(w, "tests").update(permissions={"contents": "read", "id-token": "write"}),
        oidc_problems,
        "never signs in",
    ),
    "permissions left to the default": (lambda w: w.pop("permissions"), oidc_problems, "no permissions set"),
    "write-all at the top": (lambda w: w.update(permissions="write-all"), permission_problems, "contents: read"),
    "an unneeded write": (
        lambda w: _job(w, "check")["permissions"].update({"pull-requests": "write"}),
        permission_problems,
        "writes pull-requests",
    ),
    "stack missing from the matrix": (
        _drop_stack_from_matrix,
        lambda w: preview_problems(w, ci_stacks()),
        "stacks/Pulumi.staging.yaml is not previewed",
    ),
    "wrong environment in the matrix": (
        _wrong_environment_in_matrix,
        lambda w: preview_problems(w, ci_stacks()),
        "tags.environment is staging",
    ),
    "preview without the pack": (
        lambda w: _replace_run(_job(w, "preview"), "--policy-pack policies ", ""),
        lambda w: preview_problems(w, ci_stacks()),
        "without --policy-pack",
    ),
    "preview in an environment": (
        lambda w: _job(w, "preview").update(environment="staging"),
        lambda w: preview_problems(w, ci_stacks()),
        "OIDC subject",
    ),
    "prod previewed for any pull request": (
        lambda w: _job(w, "preview")["strategy"]["matrix"]["include"].append(
            {"stack": "prod", "environment": "prod", "client-id": "AZURE_PREVIEW_CLIENT_ID_PROD"}),
        lambda w: preview_problems(w, ci_stacks()),
        "trusts only the GitHub environment prod-preview",
    ),
    "prod preview outside its environment": (
        lambda w: _job(w, "preview-prod").pop("environment"),
        lambda w: preview_problems(w, ci_stacks()),
        "previews prod in environment None",
    ),
    "prod preview dropped": (
        lambda w: w["jobs"].pop("preview-prod"),
        lambda w: preview_problems(w, ci_stacks()),
        "not previewed in its GitHub environment prod-preview",
    ),
    "matrix names no variable": (
        lambda w: _job(w, "preview")["strategy"]["matrix"]["include"][0].update({"client-id": "${{ secrets.X }}"}),
        lambda w: credential_problems("", w, "w"),
        "is not a GitHub variable name",
    ),
    "preview as a deploy identity": (
        lambda w: _step(_job(w, "preview"), "azure/login")["with"].update({"client-id": "${{ vars.AZURE_CLIENT_ID }}"}),
        lambda w: preview_problems(w, ci_stacks()),
        "deploy identity",
    ),
    "prod before staging": (
        lambda w: _job(w, "deploy-prod").update(needs="deploy-dev"),
        lambda w: deploy_problems(w, ci_stacks()),
        "without waiting for ['deploy-staging']",
    ),
    "first deploy before the tests": (
        lambda w: _job(w, "deploy-shared").update(needs=["check"]),
        lambda w: deploy_problems(w, ci_stacks()),
        "wait for the tests",
    ),
    "deploy in the wrong environment": (
        lambda w: _job(w, "deploy-prod").update(environment="production"),
        lambda w: deploy_problems(w, ci_stacks()),
        "trusts ['prod']",
    ),
    "deploy that cancels": (
        lambda w: _job(w, "deploy-staging")["concurrency"].update({"cancel-in-progress": True}),
        lambda w: deploy_problems(w, ci_stacks()),
        "never cancels",
    ),
    "deploy from any branch": (
        lambda w: _job(w, "deploy-dev").update({"if": "always()"}),
        lambda w: deploy_problems(w, ci_stacks()),
        "main only",
    ),
    "up with another environment's config": (
        lambda w: _replace_run(_job(w, "deploy-prod"), "config/prod.json", "config/dev.json"),
        lambda w: deploy_problems(w, ci_stacks()),
        "should be policies/config/prod.json",
    ),
    "up without the commit": (
        lambda w: _replace_run(_job(w, "deploy-dev"), "Deploy ${{ github.sha }}", "Deploy"),
        lambda w: deploy_problems(w, ci_stacks()),
        "commit SHA",
    ),
    "stack never deployed": (
        lambda w: w["jobs"].pop("deploy-prod"),
        lambda w: deploy_problems(w, ci_stacks()),
        "Pulumi.prod.yaml is never deployed",
    ),
    "check without SARIF on failure": (
        lambda w: _step(_job(w, "check"), "upload-sarif").update({"if": "success()"}),
        check_job_problems,
        "always()",
    ),
    "a shard left out of the merge": (
        lambda w: _replace_run(_job(w, "check"), " shards/check-shard-2/check.json", ""),
        check_job_problems,
        "should merge",
    ),
    "a shard missing from the matrix": (
        lambda w: _job(w, "check-shard")["strategy"]["matrix"].update(shard=[1]),
        check_job_problems,
        "its matrix should run shards",
    ),
    "a merge that does not wait for its shards": (
        lambda w: _job(w, "check").update(needs=["tests"]),
        check_job_problems,
        "without waiting for a job check-shard",
    ),
    "check writing elsewhere": (
        lambda w: _replace_run(_job(w, "check"), "--output-dir reports", "--output-dir out"),
        check_job_problems,
        "--output-dir reports",
    ),
    "another test command": (
        lambda w: _replace_run(_job(w, "tests"), "pytest -q", "pytest -x"),
        lambda w: readme_command_problems(w, readme_test_command()),
        "should run",
    ),
    "blueprint typo": (
        lambda w: _replace_run(_job(w, "check"), "--output-dir reports", "--ouput-dir reports"),
        blueprint_problems,
        "--ouput-dir",
    ),
    "missing script": (
        lambda w: _replace_run(_job(w, "check"), "scripts/setup.sh", "scripts/install.sh"),
        path_problems,
        "scripts/install.sh",
    ),
    "a stack without a report": (
        lambda w: _job(w, "report")["strategy"]["matrix"]["stack"].remove("staging"),
        lambda w: report_job_problems(w, ci_stacks()),
        "stacks/Pulumi.staging.yaml gets no pull-request report",
    ),
    "report without the base commit": (
        lambda w: _step(_job(w, "report"), "actions/checkout")["with"].pop("fetch-depth"),
        lambda w: report_job_problems(w, ci_stacks()),
        "fetch-depth: 0",
    ),
    "report base interpolated into the script": (
        lambda w: _replace_run(_job(w, "report"), '"$BASE_SHA"', "${{ github.event.pull_request.base.sha }}"),
        lambda w: report_job_problems(w, ci_stacks()),
        "interpolates an expression",
    ),
    "report compared with the head": (
        lambda w: _step(_job(w, "report"), "blueprint report")["env"].update(BASE_SHA="${{ github.sha }}"),
        lambda w: report_job_problems(w, ci_stacks()),
        "the pull request's base commit",
    ),
    "report not kept": (
        lambda w: _job(w, "report")["steps"].remove(_step(_job(w, "report"), "actions/upload-artifact")),
        lambda w: report_job_problems(w, ci_stacks()),
        "as the artifact pr-report-",
    ),
    "report job with a write token": (
        lambda w: _job(w, "report")["permissions"].update({"pull-requests": "write"}),
        lambda w: report_job_problems(w, ci_stacks()),
        "runs the pull request's code with write access",
    ),
    "comment job checks out the pull request": (
        lambda w: _job(w, "comment")["steps"].insert(0, {"uses": "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8"}),
        comment_job_problems,
        "runs actions/checkout",
    ),
    "comment job runs the artifact": (
        lambda w: _job(w, "comment")["steps"].append({"run": "bash report/post.sh"}),
        comment_job_problems,
        "runs bash report/post.sh",
    ),
    "comment job with more permissions": (
        lambda w: _job(w, "comment")["permissions"].update({"contents": "write"}),
        comment_job_problems,
        "nothing else",
    ),
    "comment job for forks": (
        lambda w: _job(w, "comment").update({"if": "github.event_name == 'pull_request'"}),
        comment_job_problems,
        "own pull requests only",
    ),
    "comment number interpolated into the script": (
        lambda w: _replace_run(_job(w, "comment"), "$PR_NUMBER/comments", "${{ github.event.pull_request.number }}/comments"),
        comment_job_problems,
        "interpolates an expression",
    ),
    "comment posted without its marker check": (
        lambda w: _replace_run(_job(w, "comment"), 'marker="<!-- blueprint-report:$STACK -->"', 'marker="<!-- report -->"'),
        comment_job_problems,
        "never checks the comment's marker line",
    ),
    "a comment per push": (
        lambda w: _replace_run(_job(w, "comment"), "--method PATCH", "--method POST"),
        comment_job_problems,
        "should update the comment found by its marker",
    ),
    "another job writes to the pull request": (
        lambda w: _job(w, "check")["permissions"].update({"pull-requests": "write"}),
        comment_job_problems,
        "only comment may",
    ),
    "comment without the permission": (
        lambda w: _job(w, "comment").update(permissions={"contents": "read"}),
        permission_problems,
        "job comment: lacks pull-requests: write",
    ),
    "screenshot not kept": (
        lambda w: _job(w, "tests")["steps"].remove(_step(_job(w, "tests"), "actions/upload-artifact")),
        lambda w: rendered_artifact_problems(w, "BLUEPRINT_TEST_ARTIFACTS"),
        "does not upload",
    ),
    "no Spark provisioning for prod": (
        lambda w: _job(w, "deploy-prod")["steps"].remove(_step(_job(w, "deploy-prod"), PROVISION_SPARK)),
        lambda w: spark_provisioning_problems(w, {"prod"}, "2.44.1"),
        "never runs bash .github/scripts/provision-spark-network.sh prod",
    ),
    "Spark provisioning before the update": (
        lambda w: _job(w, "deploy-prod")["steps"].insert(0, _step(_job(w, "deploy-prod"), PROVISION_SPARK)),
        lambda w: spark_provisioning_problems(w, {"prod"}, "2.44.1"),
        "before pulumi up",
    ),
    "Spark provisioning on a stale token": (
        lambda w: _replace_run(_job(w, "deploy-prod"), f"bash {SIGN_IN_AGAIN}", "true"),
        lambda w: spark_provisioning_problems(w, {"prod"}, "2.44.1"),
        "sign in again",
    ),
}


@pytest.mark.parametrize("breakage", INFRASTRUCTURE_BREAKAGES)
def test_each_infrastructure_check_reports_a_broken_copy(infrastructure: dict[str, Any], breakage: str) -> None:
    """The same checker that passes the shipped workflow names what the broken copy gets wrong."""
    mutate, check, expected = INFRASTRUCTURE_BREAKAGES[breakage]
    broken = copy.deepcopy(infrastructure)
    mutate(broken)
    problems = check(broken)
    assert any(expected in problem for problem in problems), problems


MODELS_BREAKAGES: dict[str, Breakage] = {
    "infrastructure paths trigger training": (
        lambda w: w["on"]["push"]["paths"].append("stacks/**"),
        models_trigger_problems,
        "should watch",
    ),
    "train outside staging": (
        lambda w: _job(w, "train").pop("environment"),
        lambda w: models_problems(w, project_stacks()),
        "job train: environment None",
    ),
    "train as the deploy identity": (
        lambda w: _job(w, "train").update(environment="staging"),
        lambda w: models_problems(w, project_stacks()),
        "expected one of ['staging-models']",
    ),
    "training reads Pulumi state": (
        lambda w: _job(w, "deploy-staging")["steps"].insert(3, {"uses": "./.github/actions/pulumi-login"}),
        lambda w: models_problems(w, project_stacks()),
        "reads Pulumi state",
    ),
    "candidate not read from the run": (
        lambda w: _replace_run(_job(w, "train"), "--output-name registration", "--output-name decision"),
        lambda w: models_problems(w, project_stacks()),
        "registration output",
    ),
    "candidate picked by a tag": (
        lambda w: _job(w, "train")["steps"].append(
            {"run": "az ml model list --name m --query \"[?tags.git_commit=='x'].version\" --output tsv"}),
        lambda w: models_problems(w, project_stacks()),
        "picks a model version by a tag",
    ),
    "deploy before the gate": (
        lambda w: _job(w, "deploy-staging").pop("if"),
        lambda w: models_problems(w, project_stacks()),
        "the gate",
    ),
    "promote without staging": (
        lambda w: _job(w, "promote-prod").update(needs=["train"]),
        lambda w: models_problems(w, project_stacks()),
        "train -> deploy-staging -> promote-prod",
    ),
    "pipeline components never published": (
        lambda w: _replace_run(_job(w, "train"), "az ml component create", "echo az ml component create"),
        lambda w: models_problems(w, project_stacks()),
        "should publish the rendered components",
    ),
    "pipeline submitted from the unrendered templates": (
        lambda w: _replace_run(_job(w, "train"), '--file "$RUNNER_TEMP/templates/pipelines/training-pipeline.yml"', "--file ml_templates/pipelines/training-pipeline.yml"),
        lambda w: models_problems(w, project_stacks()),
        "should submit the rendered",
    ),
    "untagged pipeline job": (
        lambda w: _replace_run(_job(w, "train"), "--set tags.git_commit=${{ github.sha }} \\\n", ""),
        lambda w: models_problems(w, project_stacks()),
        "tags.git_commit",
    ),
    "pipeline without the stack's gate": (
        lambda w: _replace_run(_job(w, "train"), '--set "inputs.min_score=$GATE_MIN_SCORE" \\\n', ""),
        lambda w: models_problems(w, project_stacks()),
        "gate floor",
    ),
    "untagged deployment": (
        lambda w: _replace_run(_job(w, "deploy-staging"), "--set tags.git_commit=${{ github.sha }} \\\n", ""),
        lambda w: models_problems(w, project_stacks()),
        "deployment should be tagged",
    ),
    "candidate with traffic": (
        lambda w: _replace_run(
            _job(w, "deploy-staging"), "--set instance_count=1 ", "--set instance_count=1 --all-traffic "
        ),
        lambda w: models_problems(w, project_stacks()),
        "0% traffic",
    ),
    "floating az ml extension": (
        lambda w: w["env"].update(AZ_ML_EXTENSION_VERSION="latest"),
        lambda w: models_problems(w, project_stacks()),
        "exact --version",
    ),
    "smoke test of the whole endpoint": (
        lambda w: _replace_run(_job(w, "deploy-staging"), '--deployment-name "$CANDIDATE_DEPLOYMENT" ', ""),
        lambda w: models_problems(w, project_stacks()),
        "--deployment-name",
    ),
    "promotion to a missing deployment": (
        lambda w: w["env"].update(PROD_DEPLOYMENT="purple"),
        lambda w: models_problems(w, project_stacks()),
        "no such deployment",
    ),
    "promotion of another model": (
        lambda w: w["env"].update(MODEL_NAME="churn"),
        lambda w: models_problems(w, project_stacks()),
        "not a version of churn",
    ),
    "blueprint promote misspelled": (
        lambda w: _replace_run(_job(w, "promote-prod"), "--deployment ", "--deplyment "),
        blueprint_problems,
        "blueprint promote prod",
    ),
    "pull request without permission": (
        lambda w: _job(w, "promote-prod")["permissions"].pop("pull-requests"),
        permission_problems,
        "lacks pull-requests",
    ),
    "pipeline override of a missing node": (
        lambda w: _replace_run(_job(w, "train"), "jobs.register.", "jobs.registration."),
        template_keys_problems,
        "has no jobs.registration",
    ),
    "missing template": (
        lambda w: _replace_run(_job(w, "deploy-staging"), "mlflow-online-deployment.yml", "deployment.yml"),
        path_problems,
        "ml_templates/endpoints/deployment.yml",
    ),
    "missing smoke request": (
        lambda w: _step(_job(w, "deploy-staging"), "invoke")["env"].update(REQUEST="smoke.json"),
        path_problems,
        "smoke.json",
    ),
    "pull requests untested": (
        lambda w: w["on"].pop("pull_request"),
        models_trigger_problems,
        "not triggered by pull_request",
    ),
    "tests left out of the pull-request paths": (
        lambda w: w["on"]["pull_request"]["paths"].remove("tests/**"),
        models_trigger_problems,
        "does not watch tests/**",
    ),
    "tests changed, nothing runs": (
        lambda w: w["on"]["pull_request"]["paths"].remove("tests/**"),
        lambda w: model_code_test_problems({"models": w}, "tests/test_templates.py"),
        "runs no job with the README's test command",
    ),
    "no local pipeline run": (
        lambda w: _job(w, "test-model-code")["steps"].remove(_step(_job(w, "test-model-code"), "run-local")),
        lambda w: model_code_test_problems({"models": w}, "ml_templates/src/train.py"),
        "blueprint pipeline run-local",
    ),
    "pull-request job skipped": (
        lambda w: _job(w, "test-model-code").update({"if": "github.event_name == 'push'"}),
        lambda w: model_code_test_problems({"models": w}, "ml_templates/src/train.py"),
        "it starts nothing",
    ),
    "pull-request job with an OIDC token": (
        lambda w: _job(w, "test-model-code")["permissions"].update({"id-token": "write"}),
        lambda w: pull_request_job_problems(w, "models"),
        "id-token: write",
    ),
    "pull-request job keeps the token": (
        lambda w: _step(_job(w, "test-model-code"), "actions/checkout").pop("with"),
        lambda w: pull_request_job_problems(w, "models"),
        "persist-credentials",
    ),
    "training for pull requests": (
        lambda w: _job(w, "train").pop("if"),
        lambda w: pull_request_job_problems(w, "models"),
        "job train: runs for pull requests with id-token",
    ),
    "candidate served through score.py": (
        lambda w: _replace_run(_job(w, "deploy-staging"), "mlflow-online-deployment.yml", "online-deployment.yml"),
        lambda w: serving_path_problems(w, prod_serving_definition(w)),
        "has codeConfiguration",
    ),
    "candidate with an environment of its own": (
        lambda w: _replace_run(
            _job(w, "deploy-staging"), "--set instance_count=1 ", '--set instance_count=1 --set "environment=azureml:x:1" '
        ),
        lambda w: serving_path_problems(w, prod_serving_definition(w)),
        "has environmentId 'x:1'",
    ),
    "candidate with other probes": (
        lambda w: _replace_run(
            _job(w, "deploy-staging"), "--set instance_count=1 ", "--set instance_count=1 --set liveness_probe.period=30 "
        ),
        lambda w: serving_path_problems(w, prod_serving_definition(w)),
        "has livenessProbe",
    ),
}


@pytest.mark.parametrize("breakage", MODELS_BREAKAGES)
def test_each_models_check_reports_a_broken_copy(models: dict[str, Any], breakage: str) -> None:
    mutate, check, expected = MODELS_BREAKAGES[breakage]
    broken = copy.deepcopy(models)
    mutate(broken)
    problems = check(broken)
    assert any(expected in problem for problem in problems), problems


TEXT_BREAKAGES: dict[str, tuple[str, str, Callable[[str], list[str]], str]] = {
    "floating major": (
        "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0",
        "actions/checkout@v5",
        lambda t: pin_problems(t, "w"),
        "not pinned",
    ),
    "branch": (
        "azure/login@a641126d1b8aa4d1fa005f4f92df94a3a4c4c906 # v3.1.0",
        "azure/login@master",
        lambda t: pin_problems(t, "w"),
        "not pinned",
    ),
    "SHA without its version": ("# v4.31.2", "", lambda t: pin_problems(t, "w"), "without its version"),
    "missing local action": (
        "./.github/actions/pulumi-login",
        "./.github/actions/pulumi",
        lambda t: pin_problems(t, "w"),
        "no action.yml",
    ),
    "a secret": (
        "${{ vars[matrix.client-id] }}\n      ARM_TENANT_ID",
        "${{ secrets.AZURE_CLIENT_ID }}\n      ARM_TENANT_ID",
        lambda t: credential_problems(t, {}, "w"),
        "secrets.",
    ),
    "a credentials JSON": (
        "client-id: ${{ vars[matrix.client-id] }}",
        "creds: ${{ vars.AZURE_CREDENTIALS }}",
        lambda t: credential_problems(t, {}, "w"),
        "creds",
    ),
    "a client secret for the providers": (
        'ARM_USE_OIDC: "true"',
        "ARM_CLIENT_SECRET: x",
        lambda t: credential_problems(t, {}, "w"),
        "ARM_CLIENT_SECRET",
    ),
}


@pytest.mark.parametrize("breakage", TEXT_BREAKAGES)
def test_each_text_check_reports_a_broken_copy(breakage: str) -> None:
    old, new, check, expected = TEXT_BREAKAGES[breakage]
    text = INFRASTRUCTURE.read_text()
    assert old in text
    problems = check(text.replace(old, new, 1))
    assert any(expected in problem for problem in problems), problems


def test_azure_login_inputs_come_from_variables(infrastructure: dict[str, Any]) -> None:
    """A login given a literal client id, or a credentials input, is reported from the parsed workflow too."""
    broken = copy.deepcopy(infrastructure)
    login = _step(_job(broken, "deploy-prod"), "azure/login")["with"]
    login["client-id"] = "00000000-0000-0000-0000-000000000000"
    login["auth-type"] = "SERVICE_PRINCIPAL"
    problems = credential_problems("", broken, "w")
    assert any("client-id should be a GitHub variable" in p for p in problems), problems
    assert any("given auth-type" in p for p in problems), problems


def test_a_fork_adding_a_stack_is_told_to_preview_and_deploy_it(infrastructure: dict[str, Any]) -> None:
    """A new stack file without a matrix entry and a deploy job is named, with what to add."""
    stacks = {
        **ci_stacks(),
        "fraud-prod": Stack("fraud-prod", "prod", ("fraud-prod",), "fraud-prod-preview"),
        "fraud-dev": Stack("fraud-dev", "dev", ("fraud-dev",)),
    }
    previews = preview_problems(infrastructure, stacks)
    deploys = deploy_problems(infrastructure, stacks)
    assert any("{ stack: fraud-dev, environment: dev, client-id: AZURE_PREVIEW_CLIENT_ID_FRAUD_DEV }" in p for p in previews), previews
    assert any("add a job with environment: fraud-prod-preview running pulumi preview --stack fraud-prod" in p for p in previews), previews
    assert any("pulumi up --stack fraud-prod" in p for p in deploys), deploys


def test_bootstrap_is_never_deployed_by_ci(infrastructure: dict[str, Any]) -> None:
    """The bootstrap stack, by name or by its environment, is applied by hand: not previewed, not deployed."""
    stacks = {
        **project_stacks(),
        "bootstrap": Stack("bootstrap", "bootstrap", ()),
        "state": Stack("state", "bootstrap", ()),
    }
    assert not {"bootstrap", "state"} & set(ci_stacks(stacks))
    assert "bootstrap" not in {c.get("stack") for c in matrix_combinations(_job(infrastructure, "preview"))}
    assert "bootstrap" not in deploy_jobs(infrastructure)


def test_shell_parsing_sees_commands_inside_substitutions_and_conditions() -> None:
    """The parser behind the command checks: continuations, ``$(...)``, ``if ...;`` and operators."""
    script = (
        'job=$(az ml job create \\\n  --file a.yml --set "x=$V" \\\n  --query name)\n'
        'if az ml x show --name "$N" 2>/dev/null; then echo y && pytest -q; fi\n'
    )
    found = shell_commands(substitute(script, {}, {"V": "1", "N": "n"}))
    assert ["az", "ml", "job", "create", "--file", "a.yml", "--set", "x=1", "--query", "name"] in found
    assert ["az", "ml", "x", "show", "--name", "n", "2>/dev/null"] in found
    assert ["pytest", "-q"] in found


# --- Who a job can become, checked against the identities and grants the plans create ------------------------


def runs_for_pull_requests(job: Mapping[str, Any]) -> bool:
    return re.search(r"github\.event_name\s*==\s*'pull_request'", str(job.get("if", ""))) is not None


def oidc_subject(workflow: Mapping[str, Any], job_id: str, repository: str) -> str | None:
    """The subject of the OIDC token a job can request (GitHub's default template), or None without id-token."""
    job = jobs(workflow)[job_id]
    if not grants_write(permissions_of(workflow, job), "id-token"):
        return None
    environment = job.get("environment")
    if isinstance(environment, Mapping):
        environment = environment.get("name")
    if environment:
        return f"repo:{repository}:environment:{environment}"
    if runs_for_pull_requests(job):
        return f"repo:{repository}:pull_request"
    return f"repo:{repository}:ref:refs/heads/main"


def identities_trusting(subject: str) -> dict[str, str]:
    """Object IDs of the service principals (in every CI stack's plan) that accept a token with ``subject``,
    mapped to the stack that creates them."""
    found: dict[str, str] = {}
    for stack in ci_stacks():
        plan = preview_stack(stack)
        apps = {a.id: a.outputs["clientId"] for a in plan.of_type("azuread:index/application:Application")}
        principals = {sp.inputs["clientId"]: sp.outputs["objectId"] for sp in plan.of_type("azuread:index/servicePrincipal:ServicePrincipal")}
        for credential in plan.of_type("azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"):
            if credential.inputs["subject"] == subject:
                found[principals[apps[credential.inputs["applicationId"]]]] = stack
    return found


def state_access(principals: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """The bootstrap plan's role assignments to ``principals``, by principal."""
    access: dict[str, list[dict[str, Any]]] = {principal: [] for principal in principals}
    for assignment in preview_stack("bootstrap").of_type("azure-native:authorization:RoleAssignment"):
        if assignment.inputs["principalId"] in access:
            access[assignment.inputs["principalId"]].append(assignment.inputs)
    return access


def prod_secrets_keys() -> set[str]:
    """Resource IDs of the keys protecting prod's secrets: those of the environment prod belongs to."""
    from blueprint.program.project import load_project, read_stack_config
    from blueprint.program.config import load_platform_config

    project = load_project(REPO)
    config = load_platform_config(read_stack_config(project, "bootstrap"), project=project.name, stack="bootstrap", source="bootstrap")
    assert config.state_backend is not None
    (environment,) = [e for e in config.state_backend.environments.values() if "prod" in e.stacks]
    names = {environment.secrets_key.name, *(k.name for k in environment.retired_secrets_keys)}
    return {k.id for k in preview_stack("bootstrap").of_type("azure-native:keyvault:Key") if k.inputs["keyName"] in names}


def test_pull_request_jobs_reach_neither_prods_state_nor_its_secrets_key(infrastructure: dict[str, Any]) -> None:
    """Any job a pull request starts without a GitHub environment gets a token with the pull_request subject;
    every identity that accepts it is a non-prod preview identity, and the bootstrap plan gives none of them
    prod's key or prod's state paths (and the prod plan no role at all)."""
    repository = stack_config("prod")["ci"]["repository"]
    subjects = {
        oidc_subject(infrastructure, job_id, repository)
        for job_id, job in jobs(infrastructure).items()
        if runs_for_pull_requests(job)
    } - {None}
    assert f"repo:{repository}:pull_request" in subjects
    prod_keys = prod_secrets_keys()
    assert prod_keys, "the bootstrap plan has no key for prod"
    for subject in sorted(subjects):
        if ":environment:" in subject:
            continue  # a reviewed environment: see the test below
        principals = identities_trusting(subject)
        # Each non-prod stack's preview identity, and nothing else: never prod's, never a deploy identity.
        assert set(principals.values()) == {s for s, c in ci_stacks().items() if c.preview_environment is None}
        for principal, grants in state_access(principals).items():
            stack = principals[principal]
            assert grants, f"the bootstrap plan gives {stack}'s preview identity no state access: the check would be vacuous"
            for grant in grants:
                assert grant["scope"] not in prod_keys, f"{stack}'s preview identity can decrypt prod's secrets"
                if grant["scope"].endswith("/containers/pulumi-state"):
                    assert grant.get("condition"), f"{stack}'s preview identity reads every stack's state"
                    assert "mlplatform/prod" not in grant["condition"], f"{stack}'s preview identity reads prod's state"
                    assert grant["roleDefinitionId"].endswith(BuiltInRole.STORAGE_BLOB_DATA_READER.definition_guid)
        prod_grants = [a for a in preview_stack("prod").of_type("azure-native:authorization:RoleAssignment")
                       if a.inputs["principalId"] in principals]
        assert prod_grants == []


def test_the_prod_preview_runs_only_in_a_protected_environment(infrastructure: dict[str, Any]) -> None:
    """prod's preview identity trusts one GitHub environment; the only job previewing prod claims it, and the
    set-up guide gives that environment required reviewers."""
    repository = stack_config("prod")["ci"]["repository"]
    preview_environment = stack_config("prod")["ci"]["previewEnvironment"]
    prod_previewers = identities_trusting(f"repo:{repository}:environment:{preview_environment}")
    assert set(prod_previewers.values()) == {"prod"}
    prod_preview_jobs = {
        command.job for command in commands(infrastructure)
        if command.starts("pulumi", "preview") and command.values("--stack") == ["prod"]
    }
    assert prod_preview_jobs == {"preview-prod"}
    assert jobs(infrastructure)["preview-prod"]["environment"] == preview_environment
    # No other subject reaches prod's preview or deploy identity: only reviewed environments do.
    plan = preview_stack("prod")
    subjects = {c.inputs["subject"] for c in plan.of_type("azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential")}
    assert subjects == {f"repo:{repository}:environment:prod", f"repo:{repository}:environment:{preview_environment}"}
    guide = (REPO / "docs" / "ci-cd.md").read_text()
    row = next((line for line in guide.splitlines() if line.strip().startswith(f"| `{preview_environment}` |")), "")
    assert "required reviewers" in row, "docs/ci-cd.md must give prod's preview environment required reviewers"


def test_installs_are_hash_locked_in_every_job() -> None:
    """No job installs Python packages but through scripts/setup.sh, which installs the exactly pinned pip and then
    the lock with --require-hashes (tests/test_dependencies.py checks the locks themselves)."""
    for path in (INFRASTRUCTURE, MODELS):
        workflow = load_workflow(path)
        for command in commands(workflow):
            assert not (command.starts("pip") or "pip" in command.argv[1:3] and "install" in command.argv), (
                f"{path.name} job {command.job} installs packages itself: {' '.join(command.argv)}"
            )
    setup = [shlex.split(line) for line in (REPO / "scripts" / "setup.sh").read_text().splitlines()
             if '"${pip[@]}" install' in line]
    assert len(setup) == 3
    (pip_step, lock_step, project_step) = setup
    assert pip_step[-3:] == ["--require-hashes", "-r", "requirements-pip.lock"]
    assert "--require-hashes" in lock_step and "--only-binary=:all:" in lock_step and lock_step[-2:] == ["-r", "$lock"]
    assert project_step[-4:] == ["--no-deps", "--no-build-isolation", "-e", "."]  # the project itself, nothing fetched


def test_zizmor_finds_nothing_above_low() -> None:
    """zizmor (GitHub Actions static analysis) on the workflows and the action, offline, medium and above."""
    zizmor = Path(sys.executable).with_name("zizmor")
    result = subprocess.run([str(zizmor), "--offline", "--format", "json", "--min-severity", "medium", str(GITHUB)],
                            capture_output=True, text=True, timeout=120)
    findings = json.loads(result.stdout)
    assert [(f["ident"], f["determinations"]["severity"], f["locations"][0]["symbolic"]["key"]) for f in findings] == []
    assert result.returncode == 0, result.stderr


def test_zizmor_reports_a_workflow_an_attacker_would_like(tmp_path: Path) -> None:
    """The same zizmor call fails on a workflow with a pull_request_target trigger and a template injection."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "name: bad\non: pull_request_target\npermissions: write-all\njobs:\n  x:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n"
    )
    zizmor = Path(sys.executable).with_name("zizmor")
    result = subprocess.run([str(zizmor), "--offline", "--format", "json", "--min-severity", "medium", str(tmp_path / ".github")],
                            capture_output=True, text=True, timeout=120)
    assert {f["ident"] for f in json.loads(result.stdout)} >= {"dangerous-triggers", "template-injection"}
    assert result.returncode != 0
