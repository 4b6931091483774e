"""What ``blueprint check`` does to one stack: preview it, evaluate the pack with its environment's config, follow its
asset wiring, and say what it found (a :class:`StackVerdict`).

Everything a stack's check needs besides its name (the project, every stack file, the pack, its configs and the
wiring sources) is read once, before any preview, and held by a :class:`StackChecker`; a verdict is plain data, so
a worker process (blueprint/tools/parallel_checks.py) can hand it back to the process writing the reports.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blueprint.program.project import Project, StackConfig
from blueprint.tools.policy_check import Finding, evaluate, load_pack_config, policy_settings, unused_waivers
from blueprint.tools.reports import CheckedStack


@dataclass(frozen=True)
class StackVerdict:
    """What the check of one stack found; ``pack_error`` when the pack itself raised on the stack's plan (a bug in
    the pack, not a violation: the check fails without a report)."""

    name: str
    findings: list[Finding] = field(default_factory=list)
    stack: CheckedStack | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    """The stack's outputs, for the stacks referencing it."""
    pack_error: str | None = None


@dataclass
class StackChecker:
    """The check of one stack at a time, with everything read beforehand (:mod:`blueprint.tools.commands.check`)."""

    project: Project
    stack_configs: dict[str, StackConfig]
    pack: Path
    policies: list[Any]
    wiring_sources: Any
    given_config: Any = None
    """The pack config given for every stack (``--policy-pack-config``); ``None``: each environment's own."""
    debug: bool = False
    _pack_configs: dict[str | None, Any] = field(default_factory=dict)

    def check(self, name: str) -> StackVerdict:
        """Preview ``name`` and judge its plan. Bad input raises ``UsageError``, a failing program ``ProgramFailed``."""
        from blueprint.tools.preview.runner import run_stack
        from blueprint.tools.wiring import POLICY as WIRING_POLICY, check_wiring

        plan = run_stack(self.project, name, self.stack_configs[name])
        outputs = plan.outputs
        config = self._pack_config(plan.environment)
        try:
            findings = evaluate(plan, self.policies, config)
        except Exception as error:  # a policy raised: a bug in the pack, not a violation
            if self.debug:
                traceback.print_exc()
            return StackVerdict(name, outputs=outputs, pack_error=f"the policy pack failed on stack {name}: {type(error).__name__}: {error}")
        asset_references, wiring = check_wiring(plan, self.wiring_sources, name)
        stack_file = self.project.stack_file(name)
        checked = CheckedStack(
            name=name,
            environment=plan.environment,
            resources=sum(1 for r in plan.resources if r.custom and r.operation == "create"),
            policies=(*(p.name for p in self.policies if policy_settings(config, p.name)[0] != "disabled"), WIRING_POLICY),
            stack_file=stack_file.relative_to(self.project.directory).as_posix() if stack_file.is_relative_to(self.project.directory) else stack_file.name,
            urn=next((r.urn for r in plan.resources if r.type == "pulumi:pulumi:Stack"), None),
            warnings=tuple(unused_waivers(plan, config)),
            asset_references=asset_references,
        )
        return StackVerdict(name, findings + wiring, checked, outputs)

    def _pack_config(self, environment: str | None) -> Any:
        if self.given_config is not None:
            return self.given_config
        if environment not in self._pack_configs:
            self._pack_configs[environment] = load_pack_config(self.pack, environment, self.policies)
        return self._pack_configs[environment]
