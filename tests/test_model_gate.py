"""The model gate's floor per stack (mlplatform:modelGate): declared once, exported for the models workflow, and the
same metric names as the evaluate step it configures."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from blueprint.program.features.gate import DEFAULT_METRIC, DEFAULT_MINIMUM_SCORE, GATE_METRICS, ModelGateSettings
from tests.conftest import REPO, decoded, preview_stack, stack_config
from tests.test_config import errors_of, load


def with_gate(stack: str, gate: object) -> dict:
    config = decoded(stack_config(stack))
    config["mlplatform:modelGate"] = gate
    return config


def test_defaults_fill_a_gate_given_without_values():
    assert load(with_gate("dev", {})).model_gate == ModelGateSettings(minimum_score=DEFAULT_MINIMUM_SCORE, metric=DEFAULT_METRIC)
    assert load(decoded(stack_config("dev"))).model_gate is None  # optional: the pipeline's own floor applies


def test_shipped_staging_and_prod_set_a_floor():
    assert load(decoded(stack_config("staging"))).model_gate == ModelGateSettings(minimum_score=0.75, metric="roc_auc")
    assert load(decoded(stack_config("prod"))).model_gate == ModelGateSettings(minimum_score=0.8, metric="roc_auc")


def test_a_floor_out_of_bounds_and_an_unknown_metric_are_named():
    errors = errors_of(with_gate("dev", {"minimumScore": 1.5, "metric": "auc"}))
    assert any(e.startswith("mlplatform:modelGate.minimumScore: expected a number from 0 to 1, found number 1.5") for e in errors), errors
    assert any(e.startswith("mlplatform:modelGate.metric:") and "roc_auc" in e for e in errors), errors


@pytest.mark.parametrize("stack", ["shared", "bootstrap"])
def test_stacks_that_train_nothing_refuse_the_key(stack):
    errors = errors_of(with_gate(stack, {"minimumScore": 0.7}))
    assert any(e.startswith("mlplatform:modelGate: expected no such key") for e in errors), errors


def test_the_gate_is_a_stack_output_of_staging_and_prod_only():
    assert preview_stack("staging").outputs["modelGate"] == {"minimumScore": 0.75, "metric": "roc_auc"}
    assert preview_stack("prod").outputs["modelGate"] == {"minimumScore": 0.8, "metric": "roc_auc"}
    assert "modelGate" not in preview_stack("dev").outputs


def test_the_metrics_are_the_evaluate_steps():
    """Asked of evaluate.py in its own process, as the pipeline runs it, so its folder stays off this sys.path."""
    listed = subprocess.run(
        [sys.executable, "-c", "import json, evaluate; print(json.dumps(sorted(evaluate.METRICS)))"],
        cwd=REPO / "ml_templates" / "src", capture_output=True, text=True, check=True,
    )
    assert json.loads(listed.stdout.strip().splitlines()[-1]) == list(GATE_METRICS)
