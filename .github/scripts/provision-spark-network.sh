#!/usr/bin/env bash
# Provisions a stack's workspace managed network for serverless Spark, once, after `pulumi up`.
#
# Why here: model monitors run on serverless Spark, which a managed network serves only once it has been
# provisioned with Spark (Azure ML's provisionManagedNetwork action with includeSpark). That is a POST action, not a
# resource property: azure-native cannot call it, and the workspace's provisionNetworkNow provisions the default
# options only, without Spark. The stack says whether it needs Spark (output sparkNetwork: it has model monitors);
# the workspace says whether it is done (managed_network.status.spark_ready), so a second run changes nothing.
# Needs: the stack selected through the Pulumi backend, the Azure CLI signed in as the deploy identity (Contributor
# on the resource group holds Microsoft.MachineLearningServices/workspaces/provisionManagedNetwork/action), and
# AZ_ML_EXTENSION_VERSION, the `ml` extension release the models workflow pins.
set -euo pipefail

stack=${1:?usage: provision-spark-network.sh <stack>}
outputs=$(pulumi stack output --stack "$stack" --json)
if [ "$(jq -r '.sparkNetwork // false' <<<"$outputs")" != "true" ]; then
  echo "$stack: no model monitor, so no serverless Spark to provision"
  exit 0
fi
workspace=$(jq -er .workspaceName <<<"$outputs")
group=$(jq -er .resourceGroupName <<<"$outputs")

az extension add --name ml --version "${AZ_ML_EXTENSION_VERSION:?}" --upgrade --yes --only-show-errors
spark_ready() {
  az ml workspace show --name "$workspace" --resource-group "$group" \
    --query managed_network.status.spark_ready --output json
}
if [ "$(spark_ready)" = "true" ]; then
  echo "$stack: the managed network of $workspace is already provisioned for serverless Spark"
  exit 0
fi
echo "$stack: provisioning the managed network of $workspace for serverless Spark (this takes several minutes)"
az ml workspace provision-network --name "$workspace" --resource-group "$group" --include-spark --output none
if [ "$(spark_ready)" != "true" ]; then
  echo "::error::$stack: $workspace's managed network still reports spark_ready false after provisioning"
  exit 1
fi
echo "$stack: the managed network of $workspace is provisioned for serverless Spark"
