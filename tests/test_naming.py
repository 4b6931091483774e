"""CAF naming: Azure's rules, deterministic collision-resistant names, and clear errors."""

from __future__ import annotations

import enum
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.naming import (
    RULES,
    SUFFIX_LENGTH,
    InvalidNameError,
    Namer,
    ResourceKind,
    validate_name,
)
from components.regions import REGION_CODES, UnknownRegionError

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True)
K = ResourceKind
GENERATED_KINDS = [kind for kind in ResourceKind if not RULES[kind].verbatim]
GLOBAL_KINDS = [kind for kind in GENERATED_KINDS if RULES[kind].globally_unique]

LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
# Plain text strategies rather than from_regex: same shapes, a fraction of the generation cost.
prefixes = st.builds(str.__add__, st.sampled_from(LOWER), st.text(LOWER + DIGITS, min_size=1, max_size=11))
environments = st.text(LOWER + DIGITS, min_size=2, max_size=8)
locations = st.sampled_from(sorted(REGION_CODES))
seeds = st.text(min_size=1, max_size=40).filter(str.strip)
qualifiers = st.one_of(
    st.just(""),
    st.text(LOWER + DIGITS + "-", max_size=40),
    st.text(max_size=80),
)


def namer(seed: str = "mlplatform/prod", **overrides: str) -> Namer:
    fields = {"prefix": "fraud", "environment": "prod", "location": "westeurope", "seed": seed}
    fields.update(overrides)
    return Namer(**fields)


# --- the rule table ---------------------------------------------------------------------------------------------


def test_every_kind_has_a_rule() -> None:
    assert set(RULES) == set(ResourceKind)


def test_caf_abbreviations() -> None:
    # Checked against the CAF "Abbreviation recommendations for Azure resources" page.
    caf = {
        K.RESOURCE_GROUP: "rg",
        K.STORAGE_ACCOUNT: "st",
        K.KEY_VAULT: "kv",
        K.CONTAINER_REGISTRY: "cr",
        K.ML_WORKSPACE: "mlw",
        K.LOG_ANALYTICS: "log",
        K.APP_INSIGHTS: "appi",
        K.USER_ASSIGNED_IDENTITY: "id",
        K.VIRTUAL_NETWORK: "vnet",
        K.SUBNET: "snet",
        K.NETWORK_SECURITY_GROUP: "nsg",
        K.PRIVATE_ENDPOINT: "pep",
        K.ACTION_GROUP: "ag",
    }
    assert {kind: RULES[kind].abbreviation for kind in caf} == caf
    assert RULES[K.ML_REGISTRY].abbreviation == "mlr"


def test_abbreviations_are_unique_lowercase_and_start_with_a_letter() -> None:
    abbreviations = [rule.abbreviation for rule in RULES.values()]
    assert len(set(abbreviations)) == len(abbreviations)
    assert all(re.fullmatch("[a-z][a-z0-9]*", abbr) for abbr in abbreviations)


def test_uniqueness_and_verbatim_flags() -> None:
    assert set(GLOBAL_KINDS) == {
        K.STORAGE_ACCOUNT,
        K.KEY_VAULT,
        K.CONTAINER_REGISTRY,
        K.ML_REGISTRY,
        K.ML_ONLINE_ENDPOINT,
        K.ML_BATCH_ENDPOINT,
    }
    assert [kind for kind in ResourceKind if RULES[kind].verbatim] == [K.ML_COMPUTE_CLUSTER, K.BLOB_CONTAINER, K.KEY_VAULT_KEY]
    assert [kind for kind in ResourceKind if RULES[kind].lowercase_required] == [K.STORAGE_ACCOUNT, K.BLOB_CONTAINER]
    assert {kind for kind in ResourceKind if not RULES[kind].hyphens_allowed} == {
        K.STORAGE_ACCOUNT,
        K.CONTAINER_REGISTRY,
    }


@pytest.mark.parametrize(
    ("kind", "low", "high"),
    [
        (K.RESOURCE_GROUP, 1, 90),
        (K.STORAGE_ACCOUNT, 3, 24),
        (K.KEY_VAULT, 3, 24),
        (K.CONTAINER_REGISTRY, 5, 50),
        (K.ML_WORKSPACE, 3, 33),
        (K.ML_COMPUTE_CLUSTER, 3, 16),
        (K.ML_ONLINE_ENDPOINT, 3, 32),
        (K.ML_BATCH_ENDPOINT, 3, 32),
        (K.LOG_ANALYTICS, 4, 63),
        (K.VIRTUAL_NETWORK, 2, 64),
        (K.PRIVATE_ENDPOINT, 2, 64),
        (K.MANAGEMENT_LOCK, 1, 90),
        (K.BUDGET, 1, 63),
        (K.BLOB_CONTAINER, 3, 63),
        (K.KEY_VAULT_KEY, 1, 127),
    ],
)
def test_length_limits(kind: ResourceKind, low: int, high: int) -> None:
    rule = RULES[kind]
    assert (rule.min_length, rule.max_length) == (low, high)
    char = "a"
    assert validate_name(kind, char * low) == []
    assert validate_name(kind, char * high) == []
    assert validate_name(kind, char * (high + 1))
    if low > 1:
        assert validate_name(kind, char * (low - 1))


VALID = [
    (K.RESOURCE_GROUP, "rg-Fraud_(prod).weu"),
    (K.STORAGE_ACCOUNT, "stfraudprod001"),
    (K.KEY_VAULT, "kv-fraud-prod-1"),
    (K.CONTAINER_REGISTRY, "CrFraudProd"),
    (K.ML_WORKSPACE, "1mlw_fraud-prod"),
    (K.ML_REGISTRY, "Shared_Registry-1"),
    (K.ML_COMPUTE_CLUSTER, "cpu-cluster"),
    (K.ML_COMPUTE_CLUSTER, "gpu-a100"),
    (K.ML_COMPUTE_CLUSTER, "gpu-4xa"),
    (K.ML_ONLINE_ENDPOINT, "Fraud-Scoring-2"),
    (K.ML_BATCH_ENDPOINT, "nightly-batch"),
    (K.LOG_ANALYTICS, "log1"),
    (K.APP_INSIGHTS, "appi fraud (prod) v2"),
    (K.USER_ASSIGNED_IDENTITY, "9id_fraud-"),
    (K.VIRTUAL_NETWORK, "vnet.fraud_"),
    (K.SUBNET, "s"),
    (K.PRIVATE_DNS_ZONE_LINK, "link-privatelink.api.azureml.ms"),
    (K.MANAGEMENT_LOCK, "do-not-delete(prod)"),
    (K.ACTION_GROUP, "On-call team"),
    (K.METRIC_ALERT, "CPU above 90 percent (5 min)"),
    (K.BUDGET, "monthly_budget-2025"),
    (K.ENTRA_GROUP, "ml-platform.admins!"),
    (K.CONDITIONAL_ACCESS_POLICY, "CA001: Require MFA for ML admins"),
    (K.APPLICATION, "Fraud scoring (prod) — CI"),
    (K.BLOB_CONTAINER, "pulumi-state"),
    (K.BLOB_CONTAINER, "0ab"),
    (K.KEY_VAULT_KEY, "Pulumi-Secrets-2028"),
]

INVALID = [
    (K.RESOURCE_GROUP, "rg-fraud."),
    (K.RESOURCE_GROUP, "rg fraud"),
    (K.STORAGE_ACCOUNT, "st-fraud"),
    (K.STORAGE_ACCOUNT, "StFraud"),
    (K.STORAGE_ACCOUNT, "st"),
    (K.KEY_VAULT, "1kv"),
    (K.KEY_VAULT, "kv--fraud"),
    (K.KEY_VAULT, "kv-fraud-"),
    (K.KEY_VAULT, "kv_fraud"),
    (K.CONTAINER_REGISTRY, "cr-fraud"),
    (K.CONTAINER_REGISTRY, "crfr"),
    (K.ML_WORKSPACE, "_mlw"),
    (K.ML_WORKSPACE, "mlw.fraud"),
    (K.ML_REGISTRY, "-registry"),
    (K.ML_COMPUTE_CLUSTER, "cpu-cluster-1"),
    (K.ML_COMPUTE_CLUSTER, "1cpu"),
    (K.ML_COMPUTE_CLUSTER, "cpu_cluster"),
    (K.ML_COMPUTE_CLUSTER, "cpu-"),
    (K.ML_COMPUTE_CLUSTER, "gpu-cluster-a100x"),
    (K.ML_ONLINE_ENDPOINT, "1endpoint"),
    (K.ML_ONLINE_ENDPOINT, "endpoint-"),
    (K.ML_ONLINE_ENDPOINT, "end_point"),
    (K.ML_BATCH_ENDPOINT, "ab"),
    (K.LOG_ANALYTICS, "-log"),
    (K.LOG_ANALYTICS, "log-"),
    (K.APP_INSIGHTS, "appi/fraud"),
    (K.APP_INSIGHTS, "appi."),
    (K.USER_ASSIGNED_IDENTITY, "_id-fraud"),
    (K.VIRTUAL_NETWORK, "vnet-"),
    (K.SUBNET, ".snet"),
    (K.PRIVATE_ENDPOINT, "p"),
    (K.MANAGEMENT_LOCK, "lock."),
    (K.ACTION_GROUP, "ag:oncall"),
    (K.ACTION_GROUP, "ag "),
    (K.METRIC_ALERT, "cpu@90"),
    (K.BUDGET, "budget.monthly"),
    (K.ENTRA_GROUP, "ml admins"),
    (K.ENTRA_GROUP, "admins@contoso"),
    (K.CONDITIONAL_ACCESS_POLICY, "line\nbreak"),
    (K.APPLICATION, ""),
    (K.BLOB_CONTAINER, "Pulumi-State"),
    (K.BLOB_CONTAINER, "pulumi--state"),
    (K.BLOB_CONTAINER, "-state"),
    (K.BLOB_CONTAINER, "st"),
    (K.KEY_VAULT_KEY, "pulumi_secrets"),
    (K.KEY_VAULT_KEY, ""),
]


@pytest.mark.parametrize(("kind", "name"), VALID)
def test_valid_examples(kind: ResourceKind, name: str) -> None:
    assert validate_name(kind, name) == []
    assert RULES[kind].pattern.fullmatch(name)


@pytest.mark.parametrize(("kind", "name"), INVALID)
def test_invalid_examples(kind: ResourceKind, name: str) -> None:
    problems = validate_name(kind, name)
    assert problems
    assert all(isinstance(problem, str) and problem for problem in problems)
    assert RULES[kind].pattern.fullmatch(name) is None


def test_problems_are_specific() -> None:
    assert validate_name(K.STORAGE_ACCOUNT, "a" * 27) == ["is 27 characters; storage account names allow 3 to 24"]
    assert validate_name(K.STORAGE_ACCOUNT, "StFraud") == [
        "contains uppercase letters; storage account names must be lowercase"
    ]
    assert validate_name(K.STORAGE_ACCOUNT, "st-fraud") == [
        "contains hyphens, which storage account names do not allow"
    ]
    assert validate_name(K.KEY_VAULT, "kv--fraud") == [
        "contains consecutive hyphens, which key vault names do not allow"
    ]
    assert validate_name(K.KEY_VAULT, "1kv") == ["starts with '1'; key vault names must start with a letter"]
    assert validate_name(K.KEY_VAULT, "kv_vault") == ["contains characters not allowed in key vault names: '_'"]
    assert validate_name(K.RESOURCE_GROUP, "rg.") == [
        "ends with '.'; resource group names must end with a character other than a period"
    ]
    assert validate_name(K.STORAGE_ACCOUNT, 42) == ["is not a string (int)"]  # type: ignore[arg-type]
    assert len(validate_name(K.STORAGE_ACCOUNT, "St_fraud-account-with-a-long-name")) == 4


# --- generated names --------------------------------------------------------------------------------------------

EXPECTED = [
    (K.RESOURCE_GROUP, "", "rg-fraud-prod-weu-r41qg"),
    (K.STORAGE_ACCOUNT, "", "stfraudprodweuwqnbr"),
    (K.STORAGE_ACCOUNT, "Feature Store", "stfraudfeatuprodweuuav8q"),
    (K.KEY_VAULT, "", "kv-fraud-prod-weu-nkumi"),
    (K.CONTAINER_REGISTRY, "", "crfraudprodweu6xmbm"),
    (K.ML_WORKSPACE, "", "mlw-fraud-prod-weu-e5vz9"),
    (K.ML_REGISTRY, "", "mlr-fraud-prod-weu-usfxi"),
    (K.ML_ONLINE_ENDPOINT, "scoring", "mloe-fraud-scorin-prod-weu-n5023"),
    (K.ML_BATCH_ENDPOINT, "", "mlbe-fraud-prod-weu-xg664"),
    (K.LOG_ANALYTICS, "", "log-fraud-prod-weu-phjav"),
    (K.APP_INSIGHTS, "", "appi-fraud-prod-weu-pfsjs"),
    (K.USER_ASSIGNED_IDENTITY, "", "id-fraud-prod-weu-fim26"),
    (K.VIRTUAL_NETWORK, "", "vnet-fraud-prod-weu-e3pgq"),
    (K.SUBNET, "training", "snet-fraud-training-prod-weu-n4wo1"),
    (K.NETWORK_SECURITY_GROUP, "", "nsg-fraud-prod-weu-0sztq"),
    (K.PRIVATE_ENDPOINT, "", "pep-fraud-prod-weu-flk7l"),
    (K.PRIVATE_DNS_ZONE_LINK, "", "vnl-fraud-prod-weu-d9kqb"),
    (K.MANAGEMENT_LOCK, "", "lock-fraud-prod-weu-olpcd"),
    (K.ACTION_GROUP, "", "ag-fraud-prod-weu-rhsy7"),
    (K.METRIC_ALERT, "", "alert-fraud-prod-weu-q6z4q"),
    (K.BUDGET, "", "budget-fraud-prod-weu-et2ma"),
    (K.ENTRA_GROUP, "", "grp-fraud-prod-weu-yjgtp"),
    (K.CONDITIONAL_ACCESS_POLICY, "", "cap-fraud-prod-weu-wkqvq"),
    (K.APPLICATION, "", "appreg-fraud-prod-weu-0oawa"),
    (K.MONITOR_PRIVATE_LINK_SCOPE, "", "ampls-fraud-prod-weu-2empc"),
]


@pytest.mark.parametrize(("kind", "qualifier", "expected"), EXPECTED)
def test_names_are_pinned(kind: ResourceKind, qualifier: str, expected: str) -> None:
    # A changed name replaces a deployed resource: these values must never change.
    assert namer(location="West Europe").name(kind, qualifier) == expected


def test_every_generated_kind_is_pinned() -> None:
    assert {kind for kind, _, _ in EXPECTED} == set(GENERATED_KINDS)


def test_caf_order_with_qualifier() -> None:
    name = namer().name(K.LOG_ANALYTICS, "monitoring")
    assert re.fullmatch(r"log-fraud-monitoring-prod-weu-[0-9a-z]{5}", name)


def test_qualifier_is_slugged() -> None:
    name = namer().name(K.RESOURCE_GROUP, "  Feature Store / Online ")
    assert re.fullmatch(r"rg-fraud-feature-store-online-prod-weu-[0-9a-z]{5}", name)
    assert re.fullmatch(r"crfraudfeaturestoreprodweu[0-9a-z]{5}", namer().name(K.CONTAINER_REGISTRY, "feature-store"))


def test_location_spelling_does_not_change_names() -> None:
    assert namer(location="West Europe").name(K.KEY_VAULT) == namer(location="westeurope").name(K.KEY_VAULT)


class _Env(str, enum.Enum):
    PROD = "prod"


def test_str_enums_are_accepted_by_value() -> None:
    assert namer(environment=_Env.PROD).name(K.KEY_VAULT) == namer(environment="prod").name(K.KEY_VAULT)
    assert namer(environment=_Env.PROD) == namer(environment="prod")


def test_too_long_names_shorten_qualifier_then_prefix_but_keep_abbreviation_and_hash() -> None:
    long = namer(prefix="fraudplatfor", environment="staging1", location="australiacentral2")
    vault = long.name(K.KEY_VAULT, "a qualifier that cannot possibly fit")
    assert len(vault) <= 24
    assert vault.startswith("kv")
    assert vault.endswith(long.suffix(K.KEY_VAULT, "a qualifier that cannot possibly fit"))
    assert validate_name(K.KEY_VAULT, vault) == []
    workspace = long.name(K.ML_WORKSPACE, "qualifier")
    assert workspace.startswith("mlw-fraud") and "qualifier" not in workspace and len(workspace) <= 33
    storage = namer().name(K.STORAGE_ACCOUNT, "featurestore")
    assert storage.startswith("stfraudfeat") and len(storage) == 24


# --- determinism and collision resistance -----------------------------------------------------------------------


def test_same_inputs_same_names() -> None:
    first, second = namer(), namer()
    assert [first.name(kind, "x") for kind in GENERATED_KINDS] == [second.name(kind, "x") for kind in GENERATED_KINDS]


@pytest.mark.parametrize("kind", GLOBAL_KINDS)
def test_other_stacks_and_projects_get_other_global_names(kind: ResourceKind) -> None:
    names = {
        namer(seed=seed).name(kind, "data")
        for seed in ("mlplatform/prod", "mlplatform/prod-eu", "mlplatform/dev", "otherproject/prod", "MLPlatform/prod")
    }
    assert len(names) == 5


def test_every_input_changes_the_suffix() -> None:
    base = namer().suffix(K.STORAGE_ACCOUNT, "data")
    variants = [
        namer(seed="mlplatform/test").suffix(K.STORAGE_ACCOUNT, "data"),
        namer(prefix="fraud2").suffix(K.STORAGE_ACCOUNT, "data"),
        namer(environment="dev").suffix(K.STORAGE_ACCOUNT, "data"),
        namer(location="northeurope").suffix(K.STORAGE_ACCOUNT, "data"),
        namer().suffix(K.KEY_VAULT, "data"),
        namer().suffix(K.STORAGE_ACCOUNT, "Data"),
        namer().suffix(K.STORAGE_ACCOUNT, ""),
    ]
    assert base not in variants
    assert len(set(variants)) == len(variants)


# --- verbatim kinds ---------------------------------------------------------------------------------------------


def test_verbatim_kind_returns_the_qualifier_unchanged() -> None:
    assert namer().name(K.ML_COMPUTE_CLUSTER, "gpu-a100") == "gpu-a100"
    assert namer(seed="other/stack").name(K.ML_COMPUTE_CLUSTER, "CPU-Cluster") == "CPU-Cluster"


@pytest.mark.parametrize("qualifier", ["", "cpu-cluster-1", "cpu_cluster", "1cpu", "a-very-long-cluster-name"])
def test_verbatim_kind_rejects_invalid_names_naming_kind_value_and_rule(qualifier: str) -> None:
    with pytest.raises(InvalidNameError) as caught:
        namer().name(K.ML_COMPUTE_CLUSTER, qualifier)
    message = str(caught.value)
    assert "ML_COMPUTE_CLUSTER" in message
    assert repr(qualifier) in message
    assert RULES[K.ML_COMPUTE_CLUSTER].description in message
    assert isinstance(caught.value, ValueError)


# --- Namer inputs -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "f", "Fraud", "1fraud", "fraud-ml", "fraud_ml", "abcdefghijklm", None])
def test_invalid_prefix(prefix: str) -> None:
    with pytest.raises(InvalidNameError, match="invalid naming prefix .*2 to 12 lowercase letters or digits"):
        namer(prefix=prefix)


@pytest.mark.parametrize("environment", ["", "p", "Prod", "pre-prod", "staging01", "prod "])
def test_invalid_environment(environment: str) -> None:
    with pytest.raises(InvalidNameError, match="invalid environment .*2 to 8 lowercase letters or digits"):
        namer(environment=environment)


@pytest.mark.parametrize("seed", ["", "   "])
def test_empty_seed_is_rejected(seed: str) -> None:
    with pytest.raises(InvalidNameError, match="invalid naming seed"):
        namer(seed=seed)


def test_unknown_location_is_rejected_at_construction() -> None:
    with pytest.raises(UnknownRegionError, match="marsnorth"):
        namer(location="marsnorth")


def test_non_string_qualifier_is_rejected() -> None:
    with pytest.raises(InvalidNameError, match="must be a string"):
        namer().name(K.KEY_VAULT, 7)  # type: ignore[arg-type]


def test_naming_module_does_not_import_pulumi() -> None:
    # Imported by stack config, policies and tests: it must stay cheap and dependency-free.
    code = (
        "import sys, components; before = set(sys.modules); import components.naming; "
        "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] == 'pulumi'))"
    )
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env={"PYTHONPATH": str(root)}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- properties -------------------------------------------------------------------------------------------------


@PROPERTY
@given(prefix=prefixes, environment=environments, location=locations, seed=seeds, qualifier=qualifiers)
def test_every_generated_name_is_valid_for_every_kind(
    prefix: str, environment: str, location: str, seed: str, qualifier: str
) -> None:
    naming = Namer(prefix, environment, location, seed)
    for kind in GENERATED_KINDS:
        rule = RULES[kind]
        name = naming.name(kind, qualifier)
        assert validate_name(kind, name) == [], (kind, name)
        assert rule.min_length <= len(name) <= rule.max_length
        assert rule.pattern.fullmatch(name)
        assert re.fullmatch("[a-z0-9-]+", name)
        assert "--" not in name
        assert name.startswith(rule.abbreviation)
        suffix = naming.suffix(kind, qualifier)
        assert name.endswith(suffix)
        assert re.fullmatch(f"[0-9a-z]{{{SUFFIX_LENGTH}}}", suffix)
        if not rule.hyphens_allowed:
            assert name.isalnum()
        assert naming.name(kind, qualifier) == name


@PROPERTY
@given(
    prefix=prefixes,
    environment=environments,
    location=locations,
    seeds=st.lists(seeds, min_size=2, max_size=2, unique=True),
)
def test_different_seeds_give_different_global_names(
    prefix: str, environment: str, location: str, seeds: list[str]
) -> None:
    first, second = (Namer(prefix, environment, location, seed) for seed in seeds)
    for kind in GLOBAL_KINDS:
        assert first.name(kind, "data") != second.name(kind, "data")


NAMEISH = st.text(alphabet="abcXYZ019-_. ()#@:/\n\u00e9", max_size=300)


@PROPERTY
@given(kind=st.sampled_from(list(ResourceKind)), name=NAMEISH)
def test_problems_reported_exactly_when_the_pattern_rejects(kind: ResourceKind, name: str) -> None:
    assert (validate_name(kind, name) == []) == (RULES[kind].pattern.fullmatch(name) is not None)


@PROPERTY
@given(kind=st.sampled_from(list(ResourceKind)), extra=st.integers(min_value=1, max_value=50))
def test_too_long_names_are_rejected(kind: ResourceKind, extra: int) -> None:
    rule = RULES[kind]
    name = "a" * (rule.max_length + extra)
    assert f"is {len(name)} characters" in " ".join(validate_name(kind, name))


@PROPERTY
@given(
    name=st.text(LOWER + DIGITS, min_size=3, max_size=24),
    position=st.integers(min_value=0, max_value=23),
    bad=st.sampled_from("_.-!é /"),
)
def test_storage_rejects_uppercase_and_bad_characters(name: str, position: int, bad: str) -> None:
    assert validate_name(K.STORAGE_ACCOUNT, name) == []
    position %= len(name)
    upper = name[:position] + "A" + name[position + 1 :]
    assert "must be lowercase" in " ".join(validate_name(K.STORAGE_ACCOUNT, upper))
    broken = name[:position] + bad + name[position + 1 :]
    assert validate_name(K.STORAGE_ACCOUNT, broken)


@PROPERTY
@given(
    left=st.builds(str.__add__, st.sampled_from(LOWER), st.text(LOWER + DIGITS, max_size=9)),
    right=st.text(LOWER + DIGITS, min_size=1, max_size=10),
)
def test_key_vault_rejects_consecutive_hyphens(left: str, right: str) -> None:
    assert validate_name(K.KEY_VAULT, f"{left}-{right}") == []
    assert "consecutive hyphens" in " ".join(validate_name(K.KEY_VAULT, f"{left}--{right}"))


@PROPERTY
@given(qualifier=st.text(max_size=30))
def test_verbatim_kind_accepts_exactly_the_valid_names(qualifier: str) -> None:
    problems = validate_name(K.ML_COMPUTE_CLUSTER, qualifier)
    if problems:
        with pytest.raises(InvalidNameError, match=re.escape(RULES[K.ML_COMPUTE_CLUSTER].description)):
            namer().name(K.ML_COMPUTE_CLUSTER, qualifier)
    else:
        assert namer().name(K.ML_COMPUTE_CLUSTER, qualifier) == qualifier


_WORD = st.builds(str.__add__, st.sampled_from(LOWER + LOWER.upper()), st.text(LOWER + DIGITS + "XYZ", max_size=4))
# Words joined by hyphens: every hyphen is directly followed by a letter, as cluster names require.
CLUSTER_NAMES = st.lists(_WORD, min_size=1, max_size=3).map("-".join).filter(lambda name: 3 <= len(name) <= 16)


@PROPERTY
@given(name=CLUSTER_NAMES)
def test_verbatim_kind_accepts_valid_cluster_names(name: str) -> None:
    assert validate_name(K.ML_COMPUTE_CLUSTER, name) == []
    assert namer().name(K.ML_COMPUTE_CLUSTER, name) == name
