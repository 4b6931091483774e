"""``blueprint policies``: print the policy catalog (docs/policies.md) from the pack's own declarations, so the
document reviewers read cannot drift from the code that enforces it."""

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
    add_policy_pack(parser, "CrossGuard pack (default: ./policies)")


def run(args: argparse.Namespace) -> int:
    from blueprint.tools.catalog import catalog_json, catalog_markdown, load_catalog
    from blueprint.tools.checkov_map import section_for
    from blueprint.tools.policy_check import pack_failures
    from blueprint.tools.user_paths import resolved

    pack = resolved(args.policy_pack or Path.cwd() / "policies", "--policy-pack")
    with pack_failures(pack):
        catalog = load_catalog(pack)
        options = {"areas": catalog.areas, "configs": catalog.configs, "pack": catalog.name}
        if args.format == "json":
            json.dump(catalog_json(catalog.docs, **options), sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            sys.stdout.write(catalog_markdown(catalog.docs, **options) + section_for(catalog.name, (doc.name for doc in catalog.docs)))
    return EXIT_OK
