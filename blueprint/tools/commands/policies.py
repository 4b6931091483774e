"""``blueprint policies``: print the policy catalog (docs/policies.md) from the pack's own declarations, so the
document reviewers read cannot drift from the code that enforces it; or, with ``--copy-to DIR``, write a copy of the
pack that ``pulumi up --policy-pack DIR`` runs (blueprint/tools/pack_copy.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from blueprint.tools.commands.options import Subparsers, add_policy_pack
from blueprint.tools.exit_codes import EXIT_OK

NAME = "policies"


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        NAME,
        help="print the policy catalog: what each policy checks, why, its enforcement and the controls it implements",
    )
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown", help="markdown (docs/policies.md) or json")
    add_policy_pack(parser, "CrossGuard pack (default: ./policies, or the pack the blueprint bundles when there is none)")
    parser.add_argument("--copy-to", type=Path, metavar="DIR",
                        help="instead of the catalog, write a copy of the pack to DIR (new or empty) for pulumi up "
                        "--policy-pack DIR, its virtualenv set to the environment the blueprint runs in")


def run(args: argparse.Namespace) -> int:
    from blueprint.tools.catalog import catalog_json, catalog_markdown, load_catalog
    from blueprint.tools.pack_choice import choose_pack
    from blueprint.tools.checkov_map import section_for
    from blueprint.tools.policy_check import pack_failures

    choice = choose_pack(args.policy_pack, Path.cwd(), "the current directory")
    pack = choice.directory
    with pack_failures(pack):
        catalog = load_catalog(pack)  # a pack that does not load is neither listed nor copied
        notice = choice.notice(catalog.name)
        if notice is not None:
            print(notice, file=sys.stderr)
        if args.copy_to is not None:
            return _copy(pack, args.copy_to, catalog.name)
        options = {"areas": catalog.areas, "configs": catalog.configs, "pack": catalog.name}
        if args.format == "json":
            json.dump(catalog_json(catalog.docs, **options), sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            sys.stdout.write(catalog_markdown(catalog.docs, **options) + section_for(catalog.name, (doc.name for doc in catalog.docs)))
    return EXIT_OK


def _copy(pack: Path, target: Path, name: str) -> int:
    from blueprint.tools.pack_copy import copy_pack

    virtualenv = copy_pack(pack, target)
    runs_in = f"virtualenv {virtualenv}" if virtualenv else "the python3 on PATH (no virtualenv)"
    print(f"Policy pack {name} copied to {target} (runs in {runs_in})")
    print(f"Deploy: pulumi up --policy-pack {target} --policy-pack-config {target / 'config'}/<environment>.json")
    return EXIT_OK
