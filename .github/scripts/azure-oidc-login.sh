#!/usr/bin/env bash
# Signs the Azure CLI in again with a fresh GitHub OIDC token.
#
# Why: the Azure CLI keeps the GitHub token azure/login gave it and presents it whenever it needs a new Azure
# token (another resource, or the first one expired after about an hour). GitHub's token expires minutes after it
# is issued, so a command late in a long job fails with AADSTS700024 unless the job signs in again first.
# Needs the job's `id-token: write` (GitHub then sets ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN) and the ARM_* variables.
set -euo pipefail

token=$(curl -sSf -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
  "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=api://AzureADTokenExchange" | jq -er .value)
az login --service-principal --username "$ARM_CLIENT_ID" --tenant "$ARM_TENANT_ID" \
  --federated-token "$token" --output none
az account set --subscription "$ARM_SUBSCRIPTION_ID"
