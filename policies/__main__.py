"""The CrossGuard policy pack: `pulumi preview --policy-pack policies --policy-pack-config policies/config/<env>.json`.

Constructing the PolicyPack starts the analyzer server the Pulumi engine talks to (it never returns), so this
file does nothing else; the policies live in `mlplatform_policies`, importable by tests and the offline preview.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from mlplatform_policies import PACK_NAME, POLICIES

PolicyPack(
    name=PACK_NAME,
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Governance of the Azure ML platform blueprint.",
)
