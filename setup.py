"""Which packages the wheel carries: the metadata is in pyproject.toml; this file only lists the packages and maps the
policy pack into one.

The CrossGuard pack lives in ``policies/`` (where ``pulumi up --policy-pack policies`` finds it in a checkout); the
wheel carries it whole as ``blueprint/policy_pack/`` - its ``PulumiPolicy.yaml``, ``__main__.py``, ``requirements.txt``,
configs and ``mlplatform_policies`` package - so an installed blueprint checks a program, and copies the pack for
``pulumi up``, outside a checkout (blueprint/tools/pack_choice.py, blueprint/tools/pack_copy.py). Packages are found,
not listed, so a new one cannot be left out; every directory counts (``blueprint/tools/preview`` has no
``__init__.py``; ``data/`` and ``config/`` hold only JSON).
"""

from setuptools import find_namespace_packages, setup

PACK_PACKAGE = "blueprint.policy_pack"
PACK_SOURCE = "policies"
#: Compiled files Python writes beside the sources: never packages.
NOT_PACKAGES = ["*.__pycache__", "__pycache__"]

setup(
    packages=[
        *find_namespace_packages(include=["blueprint", "blueprint.*", "components", "components.*"], exclude=NOT_PACKAGES),
        PACK_PACKAGE,
        *(f"{PACK_PACKAGE}.{name}" for name in find_namespace_packages(PACK_SOURCE, exclude=NOT_PACKAGES)),
    ],
    package_dir={PACK_PACKAGE: PACK_SOURCE},
    package_data={
        "components.data": ["*.json"],  # the VM size catalog
        "blueprint.tools.data": ["*.json"],  # the price table of the cost estimate
        PACK_PACKAGE: ["PulumiPolicy.yaml", "requirements.txt"],
        f"{PACK_PACKAGE}.config": ["*.json"],  # the pack config of each environment
    },
)
