"""Compute: GPU clusters within the vCPU quota configured for their family, and VM sizes from the approved list.

Policy config properties defined here (beside ``waivers``):

* ``azure-native-machinelearningservices-compute-gpu-quota``: ``quota``, an object of quota family name (as in
  components/data/vm_sizes.json, e.g. ``standardNCASv3_T4Family``; ``lowPriority`` for the regional Spot/low-priority
  quota) to the vCPUs available to this stack. No ``quota``: the policy checks nothing.
* ``azure-native-machinelearningservices-compute-allowed-vm-size``: ``allowedVmSizes``, a list of VM size names.
  Default: every size of the catalog components/data/vm_sizes.json.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from components import vm_sizes
from mlplatform_policies.base import Controls, is_number, is_value, physical_name, read, resource_policy, stack_policy

COMPUTE = "azure-native:machinelearningservices:Compute"
LOW_PRIORITY_QUOTA = "lowPriority"


def _cluster(resource_props: Mapping[str, Any]) -> tuple[str, float, bool] | None:
    """(vmSize, maxNodeCount, low priority) of an AmlCompute cluster, None for other compute or unknown values."""
    if not is_value(read(resource_props, "properties.computeType"), "AmlCompute"):
        return None
    size = read(resource_props, "properties.properties.vmSize")
    max_nodes = read(resource_props, "properties.properties.scaleSettings.maxNodeCount")
    if not isinstance(size, str) or not is_number(max_nodes):
        return None
    low_priority = is_value(read(resource_props, "properties.properties.vmPriority"), "LowPriority")
    return size, float(max_nodes), low_priority


def _quota_problems(args: StackValidationArgs) -> Iterable[tuple[str | None, str]]:
    quota = (args.get_config() or {}).get("quota")
    if not isinstance(quota, Mapping) or not quota:
        return  # no quota configured: nothing to compare with
    available = {str(key).lower(): (str(key), value) for key, value in quota.items()}
    usage: dict[str, tuple[str, float, list[Any]]] = {}
    for resource in args.resources:
        if resource.resource_type != COMPUTE:
            continue
        cluster = _cluster(resource.props)
        if cluster is None:
            continue
        size_name, max_nodes, low_priority = cluster
        size = vm_sizes.catalog().get(size_name.lower())
        if size is None or not size.is_gpu:
            continue  # unknown sizes: see the allowed-VM-size policy
        family = LOW_PRIORITY_QUOTA if low_priority else size.family
        label, total, clusters = usage.get(family.lower(), (family, 0.0, []))
        clusters.append((resource, f"{physical_name(resource)}: {max_nodes:g} x {size.name} ({size.vcpus} vCPUs)"))
        usage[family.lower()] = (label, total + max_nodes * size.vcpus, clusters)
    for key, (label, total, clusters) in sorted(usage.items()):
        urn = clusters[0][0].urn if len(clusters) == 1 else None
        listed = "; ".join(text for _, text in clusters)
        configured = available.get(key)
        if configured is None:
            yield urn, (
                f"GPU clusters need {total:g} vCPUs of quota {label} at full scale ({listed}) but the policy config "
                f"sets no quota for {label}; expected quota.{label} >= {total:g} (request the quota from Azure first)"
            )
        elif not isinstance(configured[1], (int, float)) or total > configured[1]:
            yield urn, (
                f"GPU clusters need {total:g} vCPUs of quota {label} at full scale ({listed}) but the quota is "
                f"{configured[1]}; expected at most {configured[1]} vCPUs (maxNodes x vCPUs per node, summed over the "
                "family)"
            )


gpu_quota = stack_policy(
    name="azure-native-machinelearningservices-compute-gpu-quota",
    description="GPU clusters at full scale fit the vCPU quota configured for their quota family.",
    rationale=(
        "Azure checks quota only when nodes are allocated: a cluster sized beyond its family's quota deploys fine "
        "and then fails jobs with 'vCPU quota of 0' (mlops-v2 issue 81). Most subscriptions start with no GPU "
        "quota, so a family without a configured quota counts as zero."
    ),
    checks=(
        "For GPU AmlCompute clusters, maxNodeCount x vCPUs per node, summed per quota family (dedicated) or into "
        "`lowPriority` (Spot), is at most the policy config `quota` entry; no `quota` configured: not applicable."
    ),
    severity=Severity.MEDIUM,
    check=_quota_problems,
    controls=Controls(mcsb=("AM-2",)),
    remediation=(
        "Lower `mlplatform:clusters[].maxNodes` (or pick a `vmSize` in a family with quota, or `tier: Spot`) in "
        "the stack file, or request more quota from Azure and record it under `quota` of this policy in "
        "policies/config/<environment>.json."
    ),
    url="https://learn.microsoft.com/azure/machine-learning/how-to-manage-quotas",
    config={
        "quota": {
            "type": "object",
            "description": "vCPUs available to this stack per quota family (names as in components/data/vm_sizes.json; "
            "'lowPriority' for the Spot/low-priority regional quota).",
            "additionalProperties": {"type": "number", "minimum": 0},
            "x-expected": "an object of quota family name to the vCPUs available (a number >= 0)",
        }
    },
)


def vm_size_problem(args: ResourceValidationArgs) -> str | None:
    size = read(args.props, "properties.properties.vmSize")
    if not isinstance(size, str):
        return None
    configured = (args.get_config() or {}).get("allowedVmSizes")
    if configured:
        allowed = [str(s) for s in configured]
        if size.lower() in {s.lower() for s in allowed}:
            return None
        return (
            f"VM size {size!r} is not allowed; expected one of {', '.join(sorted(allowed))} "
            "(policy config allowedVmSizes)"
        )
    if size.lower() in vm_sizes.catalog():
        return None
    return (
        f"VM size {size!r} is not in the VM size catalog; expected a size from {vm_sizes.CATALOG_PATH} "
        "(or listed in the policy config allowedVmSizes)"
    )


allowed_vm_sizes = resource_policy(
    name="azure-native-machinelearningservices-compute-allowed-vm-size",
    description="Azure ML compute uses VM sizes from the approved list.",
    rationale=(
        "The allow-list keeps clusters on sizes whose price, quota family and GPU the platform knows (cost estimates "
        "and the quota policy depend on it), and lets an organisation rule out expensive sizes."
    ),
    checks=(
        "`properties.properties.vmSize` of Compute is in the policy config `allowedVmSizes` (case-insensitive); "
        "default: every size of components/data/vm_sizes.json."
    ),
    severity=Severity.MEDIUM,
    resource_types=(COMPUTE,),
    check_resource=vm_size_problem,
    controls=Controls(mcsb=("AM-2",)),
    remediation=(
        "Set `mlplatform:clusters[].vmSize` in the stack file to an allowed size; to allow another size add it to "
        "components/data/vm_sizes.json (with its facts) or to `allowedVmSizes` of this policy in "
        "policies/config/<environment>.json."
    ),
    url="https://learn.microsoft.com/azure/machine-learning/concept-compute-target#supported-vm-series-and-sizes",
    config={
        "allowedVmSizes": {
            "type": "array",
            "description": "VM sizes Azure ML compute may use; default: every size of components/data/vm_sizes.json.",
            "items": {"type": "string"},
            "x-expected": "a list of VM size names",
        }
    },
)
