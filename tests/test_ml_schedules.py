"""ModelMonitor and RetrainingSchedule under the ARM mocks: the schedules Azure ML runs, as the API receives them."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from blueprint.tools.preview.arm import SUBSCRIPTION_ID
from components.ml_schedules import ModelMonitor, ModelMonitorArgs, RetrainingSchedule, RetrainingScheduleArgs
from tests.conftest import only, run_component

SCHEDULE = "azure-native:machinelearningservices:Schedule"
WORKSPACE = (
    f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-test/providers/Microsoft.MachineLearningServices/workspaces/mlw-test"
)
COMPONENT = "azureml://registries/mlr-shared/components/training_pipeline/labels/latest"
TRAINING = "azureml://datastores/workspaceblobstore/paths/fraud/training/"
TEST = "azureml://datastores/workspaceblobstore/paths/fraud/test/"


def monitor_args(**overrides: Any) -> ModelMonitorArgs:
    args: dict[str, Any] = {
        "workspace_name": "mlw-test",
        "resource_group_name": "rg-test",
        "name": "fraud-classifier-monitor",
        "endpoint_name": "fraud-ep",
        "deployment_name": "blue",
        "baseline_data": "azureml:fraud-training-data:1",
        "data_drift_threshold": 0.1,
        "prediction_drift_threshold": 0.15,
        "data_quality_null_rate_threshold": 0.02,
        "emails": ["ml-alerts@example.com", "oncall@example.com"],
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def retraining_args(**overrides: Any) -> RetrainingScheduleArgs:
    args: dict[str, Any] = {
        "workspace_name": "mlw-test",
        "resource_group_name": "rg-test",
        "name": "fraud-classifier-retraining",
        "pipeline_component_id": COMPONENT,
        "inputs": {"training_data": TRAINING, "test_data": TEST},
        "compute": "cpu-general",
        "cron": "0 2 * * 1",
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def monitor_of(**overrides: Any):
    plan = run_component(lambda: ModelMonitor("monitor", monitor_args(**overrides)))
    return plan, only(plan, SCHEDULE)


def retraining_of(**overrides: Any):
    plan = run_component(lambda: RetrainingSchedule("retraining", retraining_args(**overrides)))
    return plan, only(plan, SCHEDULE)


# --- ModelMonitor -------------------------------------------------------------------------------------------------


def test_monitor_is_a_create_monitor_schedule_parented_to_the_component():
    plan, schedule = monitor_of()
    assert schedule.parent == only(plan, "mlplatform:index:ModelMonitor").urn
    assert schedule.inputs["name"] == "fraud-classifier-monitor"
    assert schedule.inputs["workspaceName"] == "mlw-test"
    assert schedule.id.endswith("/workspaces/mlw-test/schedules/fraud-classifier-monitor")
    properties = schedule.inputs["properties"]
    assert properties["isEnabled"] is True
    assert properties["action"]["actionType"] == "CreateMonitor"


def test_monitor_has_the_three_signals_with_their_thresholds():
    _, schedule = monitor_of()
    signals = schedule.inputs["properties"]["action"]["monitorDefinition"]["signals"]
    assert set(signals) == {"data_drift", "prediction_drift", "data_quality"}

    def thresholds(signal: str) -> dict[tuple[str, str], float]:
        return {(t["dataType"], t["metric"]): t["threshold"]["value"] for t in signals[signal]["metricThresholds"]}

    assert signals["data_drift"]["signalType"] == "DataDrift"
    assert thresholds("data_drift") == {
        ("Numerical", "NormalizedWassersteinDistance"): 0.1,
        ("Categorical", "JensenShannonDistance"): 0.1,
    }
    assert signals["prediction_drift"]["signalType"] == "PredictionDrift"
    assert thresholds("prediction_drift") == {
        ("Numerical", "NormalizedWassersteinDistance"): 0.15,
        ("Categorical", "JensenShannonDistance"): 0.15,
    }
    assert signals["data_quality"]["signalType"] == "DataQuality"
    assert thresholds("data_quality") == {("Numerical", "NullValueRate"): 0.02, ("Categorical", "NullValueRate"): 0.02}
    for signal in signals.values():
        assert signal["notificationTypes"] == ["AmlNotification"]
    assert signals["data_drift"]["features"] == {"filterType": "AllFeatures"}


def test_monitor_reads_the_deployments_collected_data_against_the_baseline():
    _, schedule = monitor_of()
    definition = schedule.inputs["properties"]["action"]["monitorDefinition"]
    assert definition["monitoringTarget"] == {
        "taskType": "Classification",
        "deploymentId": f"{WORKSPACE}/onlineEndpoints/fraud-ep/deployments/blue",
    }
    signals = definition["signals"]
    inputs_asset = f"azureml:{WORKSPACE}/data/fraud-ep-blue-model_inputs/versions/1"
    outputs_asset = f"azureml:{WORKSPACE}/data/fraud-ep-blue-model_outputs/versions/1"
    for signal, asset, context in (
        ("data_drift", inputs_asset, "model_inputs"),
        ("data_quality", inputs_asset, "model_inputs"),
        ("prediction_drift", outputs_asset, "model_outputs"),
    ):
        production = signals[signal]["productionData"]
        assert production == {
            "inputDataType": "Rolling",
            "jobInputType": "uri_folder",
            "uri": asset,
            "dataContext": context,
            "windowSize": "P7D",
            "windowOffset": "P0D",
        }, signal
        reference = signals[signal]["referenceData"]
        assert reference == {
            "inputDataType": "Fixed",
            "jobInputType": "mltable",
            "uri": f"azureml:{WORKSPACE}/data/fraud-training-data/versions/1",
            "dataContext": "training",
        }, signal


def test_monitor_alerts_the_emails_and_runs_on_a_cron_trigger_on_serverless_spark():
    _, schedule = monitor_of()
    properties = schedule.inputs["properties"]
    definition = properties["action"]["monitorDefinition"]
    assert definition["alertNotificationSettings"] == {
        "emailNotificationSettings": {"emails": ["ml-alerts@example.com", "oncall@example.com"]}
    }
    assert properties["trigger"] == {"triggerType": "Cron", "expression": "0 3 * * *", "timeZone": "UTC"}
    assert definition["computeConfiguration"] == {
        "computeType": "ServerlessSpark",
        "instanceType": "standard_e4s_v3",
        "runtimeVersion": "3.4",
        "computeIdentity": {"computeIdentityType": "AmlToken"},
    }


def test_monitor_options():
    identity = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/monitor"
    _, schedule = monitor_of(
        cron="30 6 * * 1-5",
        time_zone="W. Europe Standard Time",
        compute_instance_type="Standard_E8s_v3",
        task_type="regression",
        target_column="label",
        lookback_window="P1D",
        identity_id=identity,
        baseline_data="azureml://datastores/workspaceblobstore/paths/fraud/reference/",
        tags={"owner": "ml-platform-team"},
    )
    properties = schedule.inputs["properties"]
    definition = properties["action"]["monitorDefinition"]
    assert properties["trigger"] == {"triggerType": "Cron", "expression": "30 6 * * 1-5", "timeZone": "W. Europe Standard Time"}
    assert properties["tags"] == {"owner": "ml-platform-team"}
    compute = definition["computeConfiguration"]
    assert compute["instanceType"] == "standard_e8s_v3"
    assert compute["computeIdentity"] == {
        "computeIdentityType": "ManagedIdentity",
        "identity": {"type": "UserAssigned", "userAssignedIdentities": [identity]},
    }
    assert definition["monitoringTarget"]["taskType"] == "Regression"
    drift = definition["signals"]["prediction_drift"]
    assert drift["referenceData"]["columns"] == {"target_column": "label"}
    assert drift["referenceData"]["uri"] == "azureml://datastores/workspaceblobstore/paths/fraud/reference/"
    assert drift["productionData"]["windowSize"] == "P1D"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"data_drift_threshold": 0}, "data_drift_threshold must be greater than 0 and at most 1, got 0"),
        ({"prediction_drift_threshold": 1.5}, "prediction_drift_threshold must be greater than 0 and at most 1, got 1.5"),
        ({"data_quality_null_rate_threshold": -0.1}, r"data_quality_null_rate_threshold .* got -0.1"),
        ({"data_drift_threshold": float("nan")}, "data_drift_threshold .* got nan"),
        ({"emails": []}, r"emails must name at least one recipient .* got \[\]"),
        ({"emails": ["not-an-address"]}, "'not-an-address' in emails is not an email address"),
        ({"emails": "a@example.com"}, "emails must be a list"),
        ({"emails": [f"user{i:03}@example.com" for i in range(40)]}, "exceed the 499 characters"),
        ({"cron": "61 * * * *"}, "invalid cron '61 \\* \\* \\* \\*': minute field '61'"),
        ({"deployment_name": "9blue"}, "invalid deployment_name '9blue'"),
        ({"name": "bad name"}, "invalid schedule name 'bad name'"),
        ({"compute_instance_type": "standard_d4s_v3"}, "compute_instance_type 'standard_d4s_v3' is not one of"),
        ({"task_type": "ranking"}, "task_type 'ranking' is not one of Classification, Regression"),
        ({"lookback_window": "7 days"}, "lookback_window '7 days'"),
        ({"baseline_data": "azureml:fraud-training-data@latest"}, "baseline_data 'azureml:fraud-training-data@latest' must be .* pinned"),
        ({"time_zone": ""}, "time_zone '' must name a time zone"),
    ],
)
def test_monitor_validation(overrides, message):
    with pytest.raises(ValueError, match=message):
        monitor_of(**overrides)


# --- RetrainingSchedule -------------------------------------------------------------------------------------------


def test_retraining_runs_the_registered_pipeline_on_a_cron_trigger():
    plan, schedule = retraining_of()
    assert schedule.parent == only(plan, "mlplatform:index:RetrainingSchedule").urn
    assert schedule.inputs["name"] == "fraud-classifier-retraining"
    properties = schedule.inputs["properties"]
    assert properties["isEnabled"] is True
    assert properties["trigger"] == {"triggerType": "Cron", "expression": "0 2 * * 1", "timeZone": "UTC"}
    action = properties["action"]
    assert action["actionType"] == "CreateJob"
    job = action["jobDefinition"]
    assert job["jobType"] == "Pipeline"
    assert job["experimentName"] == "retraining"
    compute = f"{WORKSPACE}/computes/cpu-general"
    assert job["computeId"] == compute
    assert job["settings"] == {"default_compute": compute, "continue_on_step_failure": False}
    assert job["inputs"] == {
        "training_data": {"jobInputType": "uri_folder", "uri": TRAINING, "mode": "ReadOnlyMount"},
        "test_data": {"jobInputType": "uri_folder", "uri": TEST, "mode": "ReadOnlyMount"},
    }
    assert job["jobs"] == {
        "training_pipeline": {
            "type": "pipeline",
            "name": "training_pipeline",
            "componentId": COMPONENT,
            "inputs": {
                "test_data": {"job_input_type": "literal", "value": "${{parent.inputs.test_data}}"},
                "training_data": {"job_input_type": "literal", "value": "${{parent.inputs.training_data}}"},
            },
        }
    }


def test_retraining_on_a_recurrence_with_tags_and_a_compute_id():
    compute = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/computes/gpu"
    _, schedule = retraining_of(
        cron=None,
        recurrence={"frequency": "week", "interval": 2, "hours": [2, 14], "minutes": [30], "week_days": ["monday", "Thursday"]},
        time_zone="Pacific Standard Time",
        compute=compute,
        experiment_name="fraud-retraining",
        tags={"owner": "ml-platform-team"},
    )
    properties = schedule.inputs["properties"]
    assert properties["trigger"] == {
        "triggerType": "Recurrence",
        "frequency": "Week",
        "interval": 2,
        "schedule": {"hours": [2, 14], "minutes": [30], "weekDays": ["Monday", "Thursday"]},
        "timeZone": "Pacific Standard Time",
    }
    job = properties["action"]["jobDefinition"]
    assert job["computeId"] == compute
    assert job["experimentName"] == "fraud-retraining"
    assert job["tags"] == {"owner": "ml-platform-team"}
    assert properties["tags"] == {"owner": "ml-platform-team"}


def test_retraining_daily_recurrence_without_times():
    _, schedule = retraining_of(cron=None, recurrence={"frequency": "Day", "interval": 1})
    trigger = schedule.inputs["properties"]["trigger"]
    assert trigger == {"triggerType": "Recurrence", "frequency": "Day", "interval": 1, "timeZone": "UTC"}


def test_retraining_accepts_a_component_id_known_only_at_deployment():
    def body() -> None:
        registry = pulumi.Output.from_input("mlr-shared")
        component = pulumi.Output.concat("azureml://registries/", registry, "/components/training_pipeline/versions/3")
        RetrainingSchedule("retraining", retraining_args(pipeline_component_id=component))

    schedule = only(run_component(body), SCHEDULE)
    node = schedule.inputs["properties"]["action"]["jobDefinition"]["jobs"]["training_pipeline"]
    assert node["componentId"] == "azureml://registries/mlr-shared/components/training_pipeline/versions/3"


def test_retraining_registers_its_mltable_outputs_as_data_assets():
    _, schedule = retraining_of(registered_outputs={"training_reference": "fraud-training-reference"})
    job = schedule.inputs["properties"]["action"]["jobDefinition"]
    assert job["outputs"]["training_reference"] == {"jobOutputType": "mltable", "assetName": "fraud-training-reference", "mode": "ReadWriteMount"}
    assert job["jobs"]["training_pipeline"]["outputs"]["training_reference"]["value"] == "${{parent.outputs.training_reference}}"
    _, plain = retraining_of()
    assert "outputs" not in plain.inputs["properties"]["action"]["jobDefinition"]
    assert "outputs" not in plain.inputs["properties"]["action"]["jobDefinition"]["jobs"]["training_pipeline"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cron": "* * *"}, r"invalid cron '\* \* \*': cron expression '\* \* \*' has 3 fields"),
        ({"cron": "0 2 * * 8"}, "day of week field '8'"),
        ({"cron": "a b c d e"}, "minute field 'a'"),
        ({"recurrence": {"frequency": "Day", "interval": 1}}, "exactly one of cron and recurrence"),
        ({"cron": None}, "exactly one of cron and recurrence"),
        ({"cron": None, "recurrence": {"frequency": "Day", "interval": 0}}, "interval must be a whole number of at least 1, got 0"),
        ({"cron": None, "recurrence": {"frequency": "Fortnight", "interval": 1}}, "frequency 'Fortnight' is not one of"),
        ({"cron": None, "recurrence": {"frequency": "Hour", "interval": 1, "hours": [1]}}, "need frequency Day, Week or Month"),
        ({"cron": None, "recurrence": {"frequency": "Day", "interval": 1, "hours": [2], "week_days": ["Monday"]}}, "need frequency Week or Month"),
        ({"cron": None, "recurrence": {"frequency": "Day", "interval": 1, "hours": [24]}}, "hours must be whole numbers from 0 to 23, got 24"),
        ({"cron": None, "recurrence": {"frequency": "Week", "interval": 1, "hours": [2], "week_days": ["Funday"]}}, "week day 'Funday'"),
        ({"cron": None, "recurrence": {"frequency": "Day", "interval": 1, "minutes": [5]}}, "hours are required"),
        ({"inputs": {}}, "inputs must name at least one data folder"),
        ({"inputs": {"training data": TRAINING}}, "input name 'training data'"),
        ({"inputs": {"training_data": ""}}, "input 'training_data' needs a folder URI"),
        ({"pipeline_component_id": "training_pipeline:3"}, "pipeline_component_id 'training_pipeline:3' must be an Azure ML component"),
        ({"compute": "clusters/cpu"}, "compute 'clusters/cpu'"),
        ({"name": ""}, "invalid schedule name ''"),
        ({"registered_outputs": {"training reference": "fraud-training-reference"}}, "output name 'training reference'"),
        ({"registered_outputs": {"training_reference": "-bad"}}, "output 'training_reference' needs a data asset name"),
    ],
)
def test_retraining_validation(overrides, message):
    with pytest.raises(ValueError, match=message):
        retraining_of(**overrides)
