"""Governance: required tags, Azure's naming rules, stable API versions, a budget that notifies, deletion protection
of data-bearing resources, and GPU clusters within quota and the approved VM sizes.

One module per concern; this package is the catalog's "Governance and cost" area and lists its policies in the order
the pack has always served them. Some read the resource type or the policy's settings in their check
(``check_resource``), or apply to every type of a pattern (``applies_to``); the settings are described in
:mod:`.compute`.
"""

from __future__ import annotations

# In the order of POLICIES, so that CATALOG registers them in that order too.
from mlplatform_policies.governance.tags import required_tags, taggable_resources_tagged
from mlplatform_policies.governance.names import physical_names
from mlplatform_policies.governance.api_versions import no_preview_api
from mlplatform_policies.governance.budget import budget_with_notifications
from mlplatform_policies.governance.protection import data_protected, data_resource_group_locked
from mlplatform_policies.governance.compute import allowed_vm_sizes, gpu_quota

POLICIES: list = [
    required_tags,
    taggable_resources_tagged,
    physical_names,
    no_preview_api,
    budget_with_notifications,
    data_protected,
    data_resource_group_locked,
    gpu_quota,
    allowed_vm_sizes,
]
