"""Who may touch which stack's Pulumi state: blob paths of the DIY backend and the ABAC conditions that fence them.

One container holds the state of every stack, so Storage Blob Data Contributor on the container alone would let a
dev deployment read (and rewrite) prod's state. Each CI identity's grant on the container therefore carries an Azure
ABAC condition (condition version 2.0) that admits reads and writes only under the blob paths of the stacks it
deploys or previews, plus reads of the stacks they reference (the shared stack's outputs).

Facts relied on (Pulumi's DIY backend, ``pkg/backend/diy``, project-scoped layout, the default since Pulumi 3.61):

* a stack's state is ``.pulumi/stacks/<project>/<stack>.json`` (``.json.gz`` when compression is on, ``.bak``
  beside it), its history ``.pulumi/history/<project>/<stack>/...``, its backups
  ``.pulumi/backups/<project>/<stack>/...``, its update lock ``.pulumi/locks/organization/<project>/<stack>/<id>.json``
  (``stackLockDir`` of the fully qualified name), and ``.pulumi/meta.yaml`` holds the layout version;
* a preview takes no lock (``diyBackend.Preview``), so a read-only identity needs reads only;
* listing blob names is left unconditioned (``Blob.List`` carries no path): names are not state.

Blob conditions follow Microsoft's "Example Azure role assignment conditions for Blob Storage": reads are matched
with ``!(ActionMatches{'.../blobs/read'} AND NOT SubOperationMatches{'Blob.List'})``, paths with
``@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringLike '<pattern>'``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
#: The DIY backend's layout version file, read by every `pulumi login`.
META_PATH = ".pulumi/meta.yaml"
#: Data actions of Storage Blob Data Contributor that change blobs, each fenced to the writable paths. (Its fifth,
#: ``move/action``, renames within a hierarchical namespace, which the state account does not have.)
WRITE_ACTIONS = (f"{BLOBS}/write", f"{BLOBS}/delete", f"{BLOBS}/add/action")

#: Pulumi stack and project names as the DIY backend writes them into paths (no quotes, wildcards or slashes).
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def stack_paths(project: str, stack: str) -> tuple[str, ...]:
    """The blob path patterns of one stack's state, history, backups and lock (StringLike patterns)."""
    for kind, value in (("project", project), ("stack", stack)):
        if not _NAME.fullmatch(value):
            raise ValueError(f"state paths: invalid {kind} name {value!r}: expected letters, digits, '.', '-' or '_'")
    return (
        f".pulumi/stacks/{project}/{stack}.json*",
        f".pulumi/history/{project}/{stack}/*",
        f".pulumi/backups/{project}/{stack}/*",
        f".pulumi/locks/organization/{project}/{stack}/*",
    )


def state_read_paths(project: str, stacks: Iterable[str]) -> tuple[str, ...]:
    """What reading ``stacks`` needs: their state files and the layout version file."""
    return (META_PATH, *(f".pulumi/stacks/{project}/{stack}.json*" for stack in stacks))


def blob_path_condition(read_paths: Sequence[str], write_paths: Sequence[str] = ()) -> str:
    """An ABAC condition admitting blob reads under ``read_paths`` and changes under ``write_paths`` only.

    Written paths are readable too (an update reads what it writes). With no ``write_paths`` every change is
    refused, so the condition also fences a role that can write (it then behaves as a reader).
    """
    readable = list(dict.fromkeys([*read_paths, *write_paths]))
    if not readable:
        raise ValueError("blob_path_condition: give at least one readable path")
    reads = (
        f"((!(ActionMatches{{'{BLOBS}/read'}} AND NOT SubOperationMatches{{'Blob.List'}})) OR ({_any_path(readable)}))"
    )
    not_writing = " AND ".join(f"!(ActionMatches{{'{action}'}})" for action in WRITE_ACTIONS)
    writes = f"(({not_writing}) OR ({_any_path(write_paths)}))" if write_paths else f"({not_writing})"
    return f"{reads} AND {writes}"


def _any_path(patterns: Sequence[str]) -> str:
    for pattern in patterns:
        if "'" in pattern:
            raise ValueError(f"blob path pattern {pattern!r} must not contain a quote")
    return " OR ".join(f"@Resource[{BLOBS}:path] StringLike '{pattern}'" for pattern in patterns)
