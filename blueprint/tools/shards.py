"""``blueprint check --shard I/N`` and ``--merge``: a fleet of stacks checked by N machines (a CI matrix), and their
reports combined into the reports one machine would have written.

A shard checks the stacks at positions I-1, I-1+N, I-1+2N, ... of the stack list (the stacks given, or every stack
of the project, in order): deterministic, the same on every machine of the matrix, and spread evenly. Its JSON report
carries, besides what a single run writes, a ``shard`` object: its place in the split, the whole stack list, and for
each stack it checked what the other reports need but the JSON report does not show (the stack's URN and the names of
the policies evaluated).

``--merge`` refuses (exit 2) anything it could not combine into a complete answer: a file that is not a shard's JSON
report, shards of different splits, stack lists or packs, a shard given twice, one missing, a stack checked twice or
by no shard. A merged report never says PASS about a stack nobody checked.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blueprint.tools.errors import UsageError

if TYPE_CHECKING:  # the CLI's parser imports this module for --shard: it stays light
    from blueprint.tools.policy_check import Finding
    from blueprint.tools.reports import CheckedStack

#: The key of a shard's place in the split, in its JSON report.
SHARD_KEY = "shard"


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (from 1) of ``count``."""

    index: int
    count: int

    def stacks(self, names: Sequence[str]) -> list[str]:
        return [name for position, name in enumerate(names) if position % self.count == self.index - 1]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """An argparse type: ``I/N``, two whole numbers with 1 <= I <= N."""
    index, slash, count = text.partition("/")
    if not slash or not index.isdigit() or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected I/N (shard I of N, e.g. 1/4), found {text!r}")
    shard = Shard(int(index), int(count))
    if not 1 <= shard.index <= shard.count:
        raise argparse.ArgumentTypeError(f"expected I/N with 1 <= I <= N, found {text!r}")
    return shard


def shard_document(report: dict[str, Any], shard: Shard, names: Sequence[str], checked: Sequence[CheckedStack]) -> dict[str, Any]:
    """``report`` (a JSON report) with the ``shard`` object :func:`merge` needs."""
    return {
        **report,
        SHARD_KEY: {
            "index": shard.index,
            "count": shard.count,
            "stacks": list(names),
            "checked": [{"stack": s.name, "urn": s.urn, "policies": list(s.policies or ())} for s in checked],
        },
    }


@dataclass(frozen=True)
class Merged:
    """What the shards checked, as one run would hand it to the reports."""

    pack: str
    findings: list[Finding]
    stacks: list[CheckedStack]


def merge(paths: Sequence[Path], pack: str) -> Merged:
    """The findings and stacks of the shards' JSON reports at ``paths``, in the order of the whole stack list.
    ``pack``: the name of the pack this command loaded, which must be the shards' pack."""
    repeated = next((path for i, path in enumerate(paths) if path in paths[:i]), None)
    if repeated is not None:
        raise UsageError(f"{repeated}: given twice to --merge")
    documents = {path: _read(path) for path in paths}
    first_path, first = next(iter(documents.items()))
    count, names = first[SHARD_KEY]["count"], first[SHARD_KEY]["stacks"]
    by_index: dict[int, Path] = {}
    for path, document in documents.items():
        shard = document[SHARD_KEY]
        if shard["count"] != count or shard["stacks"] != names:
            raise UsageError(f"{path}: shard {shard['index']}/{shard['count']} of another split than {first_path} "
                             f"(shard {first[SHARD_KEY]['index']}/{count}): different shard counts or stack lists")
        if document.get("pack") != pack:
            raise UsageError(f"{path}: checked with the pack {document.get('pack')!r}, not {pack!r} (pass the same --policy-pack)")
        if shard["index"] in by_index:
            raise UsageError(f"{path}: shard {shard['index']}/{count} is also {by_index[shard['index']]}")
        by_index[shard["index"]] = path
    missing = [str(i) for i in range(1, count + 1) if i not in by_index]
    if missing:
        raise UsageError(f"--merge: shard{'s' if len(missing) > 1 else ''} {', '.join(f'{i}/{count}' for i in missing)} "
                         "missing: the merged report would leave their stacks unchecked")
    stacks: dict[str, CheckedStack] = {}
    findings: dict[str, list[Finding]] = {}
    for path, document in documents.items():
        try:
            _take(path, document, Shard(document[SHARD_KEY]["index"], count), names, stacks, findings)
        except (KeyError, TypeError, AttributeError) as error:
            raise UsageError(f"{path}: not a JSON report as check --shard writes it (at {error!r})") from None
    return Merged(pack, [f for name in names for f in findings[name]], [stacks[name] for name in names])


def _take(path: Path, document: dict[str, Any], shard: Shard, names: list[str], stacks: dict[str, CheckedStack],
          findings: dict[str, list[Finding]]) -> None:
    """Add the stacks and findings of one shard's report to ``stacks`` and ``findings``."""
    expected = shard.stacks(names)
    extra = {entry["stack"]: entry for entry in document[SHARD_KEY]["checked"]}
    listed = [entry["stack"] for entry in document["stacks"]]
    if listed != expected or list(extra) != expected:
        raise UsageError(f"{path}: shard {shard} should hold the stacks {expected}, it holds {listed}")
    for entry in document["stacks"]:
        stacks[entry["stack"]] = _checked_stack(entry, extra[entry["stack"]])
        findings[entry["stack"]] = []
    for entry in document["findings"]:
        if entry["stack"] not in findings:
            raise UsageError(f"{path}: a finding of stack {entry['stack']!r}, which the shard did not check")
        findings[entry["stack"]].append(_finding(entry))


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise UsageError(f"{path}: cannot read it ({error.strerror or error})") from None
    except ValueError as error:
        raise UsageError(f"{path}: not JSON ({error})") from None
    shard = document.get(SHARD_KEY) if isinstance(document, dict) else None
    if not isinstance(shard, dict):
        raise UsageError(f"{path}: not the JSON report of a shard (write it with blueprint check --shard I/N --format json)")
    try:
        Shard(int(shard["index"]), int(shard["count"]))
        if not (isinstance(shard["stacks"], list) and isinstance(shard["checked"], list)
                and isinstance(document["stacks"], list) and isinstance(document["findings"], list)):
            raise TypeError
    except (KeyError, TypeError, ValueError):
        raise UsageError(f"{path}: {SHARD_KEY}: expected index, count, stacks and checked, as check --shard writes them") from None
    return document


def _checked_stack(entry: dict[str, Any], extra: dict[str, Any]) -> CheckedStack:
    from blueprint.tools.reports import CheckedStack

    return CheckedStack(
        name=entry["stack"],
        environment=entry["environment"],
        resources=entry["resources"],
        policies=tuple(extra["policies"]),
        stack_file=entry["stackFile"],
        urn=extra["urn"],
        warnings=tuple(entry["warnings"]),
        asset_references=entry.get("assetReferences"),
    )


def _finding(entry: dict[str, Any]) -> Finding:
    from blueprint.tools.policy_check import Finding

    return Finding(entry["policy"], entry["severity"], entry["enforcement"], entry["message"], entry["urn"],
                   entry["stack"], entry["waived"])
