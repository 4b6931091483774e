"""The reports of a policy check: one list of findings as text, JSON, SARIF 2.1.0, JUnit XML and Markdown.

Pure functions: the findings of :func:`blueprint.tools.policy_check.evaluate`, the stacks they came from and the pack's
catalog (``CATALOG``: policy name -> ``PolicyDoc``, for each rule's description, remediation, link and controls) in;
a string or a JSON-ready ``dict`` out. Nothing here runs a program or imports the pack.

Every format carries, for every finding, the policy, its severity, the enforcement level, the message and the
resource's URN (or the stack, for a finding about the stack as a whole). Waived findings are reported with their
reason and never count as violations. Every format also carries each stack's warnings (a waiver for a resource the
plan does not have), which never change the verdict.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blueprint import __version__
from blueprint.tools.catalog import FRAMEWORKS, controls
from blueprint.tools.markdown import anchor, cell, code, printable, table
from blueprint.tools.policy_check import SEVERITY_ORDER, Finding

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#: Where the SARIF tool points readers: the policy-as-code framework the pack is written for.
INFORMATION_URI = "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/"

#: Report format -> the file ``blueprint check --output-dir`` writes it to.
REPORT_FILES: dict[str, str] = {
    "text": "check.txt",
    "json": "check.json",
    "sarif": "check.sarif",
    "junit": "check.junit.xml",
    "markdown": "compliance.md",
}

#: GitHub code scanning ranks security alerts by this score (critical >= 9.0, high >= 7.0, medium >= 4.0).
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
_MAX_RULE_TAGS = 20  # GitHub code scanning keeps at most 20 tags per rule


@dataclass(frozen=True)
class CheckedStack:
    """A stack the check evaluated: reports list it even when it has no finding."""

    name: str
    environment: str | None = None
    resources: int = 0
    """How many resources the policies saw."""
    policies: tuple[str, ...] | None = None
    """The policies evaluated (not disabled by the environment's pack config); ``None``: every catalog policy."""
    stack_file: str | None = None
    """The stack file, relative to the project (``stacks/Pulumi.<stack>.yaml`` when not given)."""
    urn: str | None = None
    """The stack's own URN (``pulumi:pulumi:Stack``): where a finding about the whole stack is located."""
    warnings: tuple[str, ...] = ()
    """What deserves a reviewer's eye without failing the check (``policy_check.unused_waivers``)."""
    asset_references: int | None = None
    """How many Azure ML asset references the wiring check followed (``blueprint/tools/wiring.py``); None: not run."""

    @property
    def file(self) -> str:
        return self.stack_file or f"stacks/Pulumi.{self.name}.yaml"


# --- Shared helpers ---------------------------------------------------------------------------------------------


def _wiring_verdict(stack: CheckedStack, found: Sequence[Finding]) -> str:
    from blueprint.tools.wiring import POLICY

    missing = sum(1 for f in found if f.policy == POLICY)
    return f"{missing} with no publisher" if missing else "each published"


def status(finding: Finding) -> str:
    """``waived``, or the enforcement level the finding was reported at (``mandatory``, ``advisory``)."""
    return "waived" if finding.waived is not None else finding.enforcement


def resource_label(urn: str | None) -> str:
    """``type::name`` of a URN (``urn:pulumi:<stack>::<project>::<parent$type>::<name>``); ``(stack)`` for none."""
    if not urn:
        return "(stack)"
    parts = urn.split("::", 3)
    if len(parts) < 4:
        return urn
    return f"{parts[2].split('$')[-1]}::{parts[3]}"


def summarize(findings: Iterable[Finding]) -> dict[str, Any]:
    """Counts: findings, mandatory (blocking), advisory (reported, not blocking), waived, unwaived by severity."""
    findings = list(findings)
    by_severity = {severity: 0 for severity in SEVERITY_ORDER}
    for finding in findings:
        if finding.waived is None:
            by_severity[finding.severity] = by_severity.get(finding.severity, 0) + 1
    mandatory = sum(1 for f in findings if f.blocking)
    waived = sum(1 for f in findings if f.waived is not None)
    return {
        "findings": len(findings),
        "mandatory": mandatory,
        "advisory": len(findings) - mandatory - waived,
        "waived": waived,
        "bySeverity": by_severity,
        "compliant": mandatory == 0,
    }


def stacks_of(findings: Sequence[Finding], stacks: Sequence[CheckedStack] | None) -> list[CheckedStack]:
    """The stacks checked, plus any other stack a finding names (in order of appearance): none goes unreported."""
    listed = list(stacks or [])
    known = {s.name for s in listed}
    return listed + [CheckedStack(name) for name in dict.fromkeys(f.stack for f in findings) if name not in known]


def ordered(findings: Iterable[Finding], stacks: Sequence[CheckedStack]) -> list[Finding]:
    """Findings by stack (in the order checked), then severity (critical first), policy and resource."""
    stack_rank = {s.name: i for i, s in enumerate(stacks)}
    severity_rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    return sorted(
        findings,
        key=lambda f: (stack_rank.get(f.stack, len(stack_rank)), f.stack, severity_rank.get(f.severity, len(severity_rank)),
                       f.policy, f.urn or "", f.message),
    )


def _by_stack(findings: Sequence[Finding], stacks: Sequence[CheckedStack]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {s.name: [] for s in stacks}
    for finding in ordered(findings, stacks):
        grouped.setdefault(finding.stack, []).append(finding)
    return grouped


def _policies_of(stack: CheckedStack, catalog: Mapping[str, Any], findings: Sequence[Finding]) -> list[str]:
    """The policies a stack was checked against, in catalog order, plus any a finding names."""
    names = list(catalog) if stack.policies is None else [n for n in catalog if n in stack.policies]
    if stack.policies is not None:
        names += [n for n in stack.policies if n not in catalog]
    names += [f.policy for f in findings if f.policy not in names]
    return list(dict.fromkeys(names))


def _severity(doc: Any) -> str:
    severity = getattr(doc, "severity", None)
    value = getattr(severity, "value", severity)
    return str(value) if value else "medium"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _counts(summary: Mapping[str, Any]) -> str:
    return f"{summary['mandatory']} mandatory, {summary['advisory']} advisory, {summary['waived']} waived"


# --- Text -------------------------------------------------------------------------------------------------------


def render_text(findings: Sequence[Finding], catalog: Mapping[str, Any] | None = None, *, pack: str = "policies",
                stacks: Sequence[CheckedStack] | None = None) -> str:
    """For a terminal or a CI log: per stack, findings grouped by severity, each with its URN (and waiver)."""
    stacks = stacks_of(findings, stacks)
    grouped = _by_stack(findings, stacks)
    total = summarize(findings)
    lines = [f"Policy check with pack {pack}: {_plural(len(stacks), 'stack')}, {_plural(total['findings'], 'finding')} ({_counts(total)})"]
    for stack in stacks:
        found = grouped.get(stack.name, [])
        summary = summarize(found)
        verdict = "PASS" if summary["compliant"] else "FAIL"
        environment = f" (environment {stack.environment})" if stack.environment else ""
        checked = f", {_plural(stack.resources, 'resource')} checked" if stack.resources else ""
        lines += ["", f"stack {stack.name}{environment}: {verdict} - {_counts(summary)}{checked}"]
        lines += [f"  warning: {warning}" for warning in stack.warnings]
        if stack.asset_references is not None:
            lines.append(f"  asset wiring: {_plural(stack.asset_references, 'asset reference')}, {_wiring_verdict(stack, found)}")
        if not found:
            lines.append("    every policy passed")
        for severity in [*SEVERITY_ORDER, *sorted({f.severity for f in found} - set(SEVERITY_ORDER))]:
            group = [f for f in found if f.severity == severity]
            if not group:
                continue
            lines.append(f"  {severity}:")
            for finding in group:
                lines.append(f"    [{status(finding)}] {finding.policy}: {resource_label(finding.urn)}: {finding.message}")
                lines.append(f"        resource: {finding.urn or f'stack {finding.stack}'}")
                if finding.waived is not None:
                    lines.append(f"        waiver: {finding.waived}")
    failing = [s.name for s in stacks if not summarize(grouped.get(s.name, []))["compliant"]]
    lines.append("")
    if failing:
        lines.append(f"Result: FAIL - {_plural(total['mandatory'], 'mandatory violation')} in {', '.join(failing)}")
    else:
        lines.append("Result: PASS - no mandatory violation")
    return "\n".join(lines) + "\n"


# --- JSON -------------------------------------------------------------------------------------------------------


def render_json(findings: Sequence[Finding], catalog: Mapping[str, Any] | None = None, *, pack: str = "policies",
                stacks: Sequence[CheckedStack] | None = None) -> dict[str, Any]:
    """``{"pack", "stacks", "findings", "summary"}``: findings as ``Finding.to_json()`` plus where and whether blocking."""
    stacks = stacks_of(findings, stacks)
    grouped = _by_stack(findings, stacks)
    documents = []
    for finding in ordered(findings, stacks):
        document = finding.to_json()
        document["status"] = status(finding)
        document["blocking"] = finding.blocking
        document["resource"] = resource_label(finding.urn)
        documents.append(document)
    summary = summarize(findings)
    summary["stacks"] = len(stacks)
    summary["failingStacks"] = [s.name for s in stacks if not summarize(grouped.get(s.name, []))["compliant"]]
    return {
        "pack": pack,
        "stacks": [
            {
                "stack": stack.name,
                "environment": stack.environment,
                "stackFile": stack.file,
                "resources": stack.resources,
                "policies": len(_policies_of(stack, catalog or {}, grouped.get(stack.name, []))),
                "verdict": "pass" if summarize(grouped.get(stack.name, []))["compliant"] else "fail",
                "summary": summarize(grouped.get(stack.name, [])),
                "warnings": list(stack.warnings),
                **({"assetReferences": stack.asset_references} if stack.asset_references is not None else {}),
            }
            for stack in stacks
        ],
        "findings": documents,
        "summary": summary,
    }


# --- SARIF 2.1.0 ------------------------------------------------------------------------------------------------


def sarif_level(finding: Finding) -> str:
    """``error`` blocks the deployment (mandatory, remediate), ``warning`` is advisory, ``note`` is waived."""
    if finding.waived is not None:
        return "note"
    return "error" if finding.blocking else "warning"


def _sarif_rule(name: str, doc: Any | None) -> dict[str, Any]:
    if doc is None:  # a policy the catalog does not document: still a valid rule, so results can point at it
        return {"id": name, "shortDescription": {"text": name}, "properties": {"tags": ["security"]}}
    severity = _severity(doc)
    mapped = controls(doc)
    tags = ["security", f"{doc.kind}-policy", *[f"{key.replace('_', '-')}:{c}" for key, _ in FRAMEWORKS for c in mapped[key]]]
    help_markdown = (
        f"{doc.description}\n\n**What it checks:** {doc.checks}\n\n**Why:** {doc.rationale}\n\n"
        f"**Remediation:** {doc.remediation}\n\n[Reference]({doc.url})"
    )
    return {
        "id": name,
        "name": "".join(part.capitalize() for part in re.split(r"[^0-9A-Za-z]+", name) if part) or name,
        "shortDescription": {"text": doc.description},
        "fullDescription": {"text": doc.rationale},
        "help": {"text": doc.remediation, "markdown": help_markdown},
        "helpUri": doc.url,
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "severity": severity,
            "security-severity": _SECURITY_SEVERITY.get(severity, "5.5"),
            "precision": "very-high",
            "tags": list(dict.fromkeys(tags))[:_MAX_RULE_TAGS],
            "kind": doc.kind,
            "resourceTypes": list(getattr(doc, "resource_types", ()) or ()),
            "controls": {
                "azurePolicy": mapped["azure_policy"],
                "checkov": mapped["checkov"],
                "mcsb": mapped["mcsb"],
                "psrule": mapped["psrule"],
            },
        },
    }


def _fingerprint(finding: Finding) -> str:
    """Stable across runs for the same violation, so code scanning tracks one alert per violation."""
    identity = "\x1f".join((finding.stack, finding.policy, finding.urn or "", finding.message))
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]


def render_sarif(findings: Sequence[Finding], catalog: Mapping[str, Any] | None = None, *, pack: str = "policies",
                 stacks: Sequence[CheckedStack] | None = None, tool_version: str = __version__,
                 information_uri: str = INFORMATION_URI) -> dict[str, Any]:
    """One SARIF run: the pack's policies as rules, every finding as a result located in its stack file.

    GitHub code scanning needs a physical location for each result: the stack file (line 1: a finding is about
    what the whole file configures). The resource itself is the logical location (its URN).
    """
    catalog = catalog or {}
    stacks = stacks_of(findings, stacks)
    by_name = {s.name: s for s in stacks}
    rule_names = list(catalog) + list(dict.fromkeys(f.policy for f in findings if f.policy not in catalog))
    rule_index = {name: i for i, name in enumerate(rule_names)}
    files = list(dict.fromkeys([s.file for s in stacks] + [CheckedStack(f.stack).file for f in findings if f.stack not in by_name]))
    file_index = {path: i for i, path in enumerate(files)}

    results = []
    for finding in ordered(findings, stacks):
        stack = by_name.get(finding.stack, CheckedStack(finding.stack))
        if finding.urn:
            logical = {"name": resource_label(finding.urn).split("::", 1)[-1], "fullyQualifiedName": finding.urn, "kind": "resource"}
        else:
            logical = {"name": finding.stack, "fullyQualifiedName": stack.urn or f"stack:{finding.stack}", "kind": "module"}
        where = resource_label(finding.urn) if finding.urn else f"stack {finding.stack}"
        result: dict[str, Any] = {
            "ruleId": finding.policy,
            "ruleIndex": rule_index[finding.policy],
            "kind": "fail",
            "level": sarif_level(finding),
            "message": {"text": f"{finding.message} ({where} in stack {finding.stack}; {finding.severity}, {status(finding)})"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": stack.file, "index": file_index[stack.file]},
                        "region": {"startLine": 1},
                    },
                    "logicalLocations": [logical],
                }
            ],
            "partialFingerprints": {"blueprintPolicyFinding/v1": _fingerprint(finding)},
            "properties": {
                "stack": finding.stack,
                "environment": stack.environment,
                "severity": finding.severity,
                "enforcement": finding.enforcement,
                "urn": finding.urn,
            },
        }
        if finding.waived is not None:
            result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": finding.waived}]
        results.append(result)

    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": pack,
                "fullName": f"{pack} (Pulumi CrossGuard policy pack, evaluated offline by blueprint check)",
                "version": tool_version,
                "semanticVersion": tool_version,
                "informationUri": information_uri,
                "rules": [_sarif_rule(name, catalog.get(name)) for name in rule_names],
            }
        },
        "artifacts": [{"location": {"uri": path}, "roles": ["analysisTarget"], "mimeType": "application/yaml"} for path in files],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {"pack": pack, "stacks": [{"stack": s.name, "environment": s.environment} for s in stacks]},
    }
    notifications = [
        {"level": "warning", "message": {"text": warning}, "properties": {"stack": stack.name}}
        for stack in stacks for warning in stack.warnings
    ]
    if notifications:  # a warning about the configuration, not a result: SARIF's place for it
        run["invocations"] = [{"executionSuccessful": True, "toolConfigurationNotifications": notifications}]
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


# --- JUnit XML --------------------------------------------------------------------------------------------------


def _finding_lines(finding: Finding) -> str:
    lines = [
        f"policy: {finding.policy}",
        f"severity: {finding.severity}",
        f"enforcement: {finding.enforcement}",
        f"resource: {finding.urn or f'stack {finding.stack}'}",
        f"message: {finding.message}",
    ]
    if finding.waived is not None:
        lines.append(f"waiver: {finding.waived}")
    return "\n".join(lines)


def render_junit(findings: Sequence[Finding], catalog: Mapping[str, Any] | None = None, *, pack: str = "policies",
                 stacks: Sequence[CheckedStack] | None = None) -> str:
    """A testsuite per stack, a testcase per policy: a ``failure`` per mandatory violation, ``skipped`` when the
    policy's findings are all waived (or the policy is disabled for the stack's environment); advisory findings
    and waivers are listed in the testcase's ``system-out``."""
    catalog = catalog or {}
    stacks = stacks_of(findings, stacks)
    grouped = _by_stack(findings, stacks)
    root = ET.Element("testsuites", name=printable(f"{pack} policy check"))
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for stack in stacks:
        found = grouped.get(stack.name, [])
        suite = ET.SubElement(root, "testsuite", name=printable(stack.name))
        properties = ET.SubElement(suite, "properties")
        for key, value in (("environment", stack.environment), ("stackFile", stack.file), ("resources", str(stack.resources))):
            if value is not None:
                ET.SubElement(properties, "property", name=key, value=printable(value))
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        evaluated = None if stack.policies is None else set(stack.policies)
        for policy in dict.fromkeys([*catalog, *_policies_of(stack, catalog, found)]):  # disabled ones included
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", name=printable(policy), classname=printable(f"{pack}.{stack.name}"), time="0")
            mine = [f for f in found if f.policy == policy]
            blocking = [f for f in mine if f.blocking]
            if evaluated is not None and policy not in evaluated and not mine:
                counts["skipped"] += 1
                environment = stack.environment or "this stack"
                ET.SubElement(case, "skipped", message=printable(f"disabled in the pack config of {environment}"))
                continue
            for finding in blocking:
                failure = ET.SubElement(case, "failure", message=printable(finding.message), type=printable(f"mandatory/{finding.severity}"))
                failure.text = printable(_finding_lines(finding))
            if blocking:
                counts["failures"] += 1
            waived = [f for f in mine if f.waived is not None]
            if waived and not blocking and len(waived) == len(mine):
                counts["skipped"] += 1
                skipped = ET.SubElement(case, "skipped", message=printable("waived: " + "; ".join(dict.fromkeys(f.waived or "" for f in waived))))
                skipped.text = printable("\n\n".join(_finding_lines(f) for f in waived))
                continue
            others = [f for f in mine if not f.blocking]
            if others:
                out = ET.SubElement(case, "system-out")
                out.text = printable("\n\n".join(f"[{status(f)}]\n{_finding_lines(f)}" for f in others))
        if stack.warnings:
            err = ET.SubElement(suite, "system-err")
            err.text = printable("\n".join(f"warning: {warning}" for warning in stack.warnings))
        suite.set("tests", str(counts["tests"]))
        suite.set("failures", str(counts["failures"]))
        suite.set("errors", "0")
        suite.set("skipped", str(counts["skipped"]))
        suite.set("time", "0")
        for key in totals:
            totals[key] += counts[key]
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- Markdown compliance report ---------------------------------------------------------------------------------


def control_coverage(stack: CheckedStack, catalog: Mapping[str, Any], found: Sequence[Finding]) -> list[tuple[str, str, list[str], str]]:
    """(framework, control, policies, status) for every control the stack's evaluated policies implement."""
    implemented: dict[tuple[str, str], list[str]] = {}
    for policy in _policies_of(stack, catalog, found):
        doc = catalog.get(policy)
        if doc is None:
            continue
        for key, framework in FRAMEWORKS:
            for control in controls(doc)[key]:
                implemented.setdefault((framework, control), []).append(policy)
    framework_rank = {label: i for i, (_, label) in enumerate(FRAMEWORKS)}
    rows = []
    for (framework, control), policies in sorted(implemented.items(), key=lambda item: (framework_rank[item[0][0]], item[0][1])):
        mine = [f for f in found if f.policy in policies]
        if any(f.blocking for f in mine):
            verdict = "violated"
        elif any(f.waived is None for f in mine):
            verdict = "advisory findings"
        elif mine:
            verdict = "met, with waivers"
        else:
            verdict = "met"
        rows.append((framework, control, policies, verdict))
    return rows


def render_markdown(findings: Sequence[Finding], catalog: Mapping[str, Any] | None = None, *, pack: str = "policies",
                    stacks: Sequence[CheckedStack] | None = None) -> str:
    """The compliance report a reviewer reads: per stack its verdict, findings, waivers and control coverage."""
    catalog = catalog or {}
    stacks = stacks_of(findings, stacks)
    grouped = _by_stack(findings, stacks)
    total = summarize(findings)
    verdict = "compliant" if total["compliant"] else "non-compliant"
    out = [
        "# Policy compliance report",
        "",
        f"Policy pack {code(pack)} evaluated on {_plural(len(stacks), 'stack')}: **{verdict}** "
        f"({_plural(total['findings'], 'finding')}: {_counts(total)}).",
        "",
        "Mandatory violations block a deployment; advisory findings are reported only; waived resources are exempt "
        "by the environment's pack config, for the reason shown.",
        "",
    ]
    rows = []
    for stack in stacks:
        summary = summarize(grouped.get(stack.name, []))
        rows.append([
            f"[{cell(stack.name)}](#{anchor(_heading(stack))})", cell(stack.environment or "-"),
            "compliant" if summary["compliant"] else "**non-compliant**",
            str(summary["mandatory"]), str(summary["advisory"]), str(summary["waived"]), str(stack.resources),
        ])
    out += table(("Stack", "Environment", "Verdict", "Mandatory", "Advisory", "Waived", "Resources checked"), rows, right=range(3, 7))
    for stack in stacks:
        found = grouped.get(stack.name, [])
        summary = summarize(found)
        stack_verdict = "compliant" if summary["compliant"] else "non-compliant"
        policies = _policies_of(stack, catalog, found)
        out += [
            "",
            f"## {_heading(stack)}",
            "",
            f"- Verdict: **{stack_verdict}** ({_counts(summary)})",
            f"- Environment: {code(stack.environment) if stack.environment else 'unknown'}",
            f"- Stack file: {code(stack.file)}",
            f"- {_plural(len(policies), 'policy', 'policies')} evaluated on {_plural(stack.resources, 'resource')}",
        ]
        disabled = [n for n in catalog if stack.policies is not None and n not in stack.policies]
        if disabled:
            out.append(f"- Disabled in this environment: {', '.join(code(n) for n in disabled)}")
        out += [f"- **Warning:** {cell(warning)}" for warning in stack.warnings]
        if stack.asset_references is not None:
            out.append(f"- Asset wiring: {_plural(stack.asset_references, 'asset reference')}, {_wiring_verdict(stack, found)}")
        violations = [f for f in found if f.waived is None]
        out += ["", "### Findings", ""]
        if violations:
            out += table(("Policy", "Severity", "Enforcement", "Resource", "Message"), [
                [code(f.policy), f.severity, f"**{f.enforcement}**" if f.blocking else f.enforcement, _resource(f), cell(f.message)]
                for f in violations
            ])
        else:
            out.append("No violation: every evaluated policy passed.")
        waived = [f for f in found if f.waived is not None]
        out += ["", "### Waivers", ""]
        if waived:
            out += table(("Policy", "Severity", "Enforcement", "Resource", "Message", "Reason"), [
                [code(f.policy), f.severity, f"{f.enforcement} (waived)", _resource(f), cell(f.message), cell(f.waived or "")]
                for f in waived
            ])
        else:
            out.append("No waiver.")
        coverage = control_coverage(stack, catalog, found)
        out += ["", "### Control coverage", ""]
        if coverage:
            met = sum(1 for row in coverage if row[3].startswith("met"))
            out += [f"{met} of {_plural(len(coverage), 'mapped control')} met.", ""]
            out += table(("Framework", "Control", "Policies", "Status"), [
                [framework, code(control), ", ".join(code(n) for n in names), f"**{row_status}**" if row_status == "violated" else row_status]
                for framework, control, names, row_status in coverage
            ])
        else:
            out.append("No framework control is mapped by the evaluated policies.")
    return "\n".join(out) + "\n"


def _heading(stack: CheckedStack) -> str:
    """The heading of a stack's section, which the summary table links to."""
    return f"Stack {stack.name}"


def _resource(finding: Finding) -> str:
    """Where a finding is, for a table cell: the resource's URN, or the stack for a finding about the whole stack."""
    return code(finding.urn) if finding.urn else f"stack {cell(finding.stack)}"


# --- Dispatch and files -----------------------------------------------------------------------------------------


def render(format: str, findings: Sequence[Finding], catalog: Mapping[str, Any] | None = None, *, pack: str = "policies",
           stacks: Sequence[CheckedStack] | None = None) -> str:
    """The report in ``format`` (a key of :data:`REPORT_FILES`) as the text of its file."""
    import json

    if format == "text":
        return render_text(findings, catalog, pack=pack, stacks=stacks)
    if format == "json":
        return json.dumps(render_json(findings, catalog, pack=pack, stacks=stacks), indent=2) + "\n"
    if format == "sarif":
        return json.dumps(render_sarif(findings, catalog, pack=pack, stacks=stacks), indent=2) + "\n"
    if format == "junit":
        return render_junit(findings, catalog, pack=pack, stacks=stacks)
    if format == "markdown":
        return render_markdown(findings, catalog, pack=pack, stacks=stacks)
    raise ValueError(f"unknown report format {format!r} (expected one of {', '.join(REPORT_FILES)})")


def write_reports(reports: Mapping[str, str], directory: Path) -> list[Path]:
    """Write each ``format -> text`` to its file in ``directory``: all staged first, then each moved into place,
    so a reader (or a failure halfway) never sees a half-written report."""
    from blueprint.tools.atomic_files import write_all

    return write_all({directory / REPORT_FILES[format]: text for format, text in reports.items()}, create_parents=True)
