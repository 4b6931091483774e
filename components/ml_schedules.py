"""``ModelMonitor`` and ``RetrainingSchedule``: the Azure ML schedules that watch a deployed model and retrain it.

Both are ``Microsoft.MachineLearningServices/workspaces/schedules`` resources, so they live in the stack with the
workspace and endpoint they depend on and show up in the plan, where the policy pack checks that a production
deployment is monitored and retrained. ``ml_templates/monitoring/model-monitor.yml`` and
``ml_templates/schedules/retraining.yml`` are the CLI equivalents.

The ARM API takes what the ``az ml`` CLI sends after resolving names on the client: the deployment, the data
assets and the compute are given as full resource IDs, so these components build those IDs themselves (in the
subscription Pulumi deploys into) rather than passing the CLI's short forms.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization
from pulumi_azure_native import machinelearningservices as ml

from components.cron import validate_cron
from components.validators import is_email

#: Serverless Spark sizes Azure ML model monitoring runs on.
MONITOR_INSTANCE_TYPES = ("standard_e4s_v3", "standard_e8s_v3", "standard_e16s_v3", "standard_e32s_v3", "standard_e64s_v3")
#: The data collector registers each collection as version 1 of ``<endpoint>-<deployment>-<collection>`` and keeps
#: appending to it; the monitor reads a rolling window of it.
COLLECTED_DATA_VERSION = "1"
#: Name of the single node of a retraining pipeline job.
RETRAINING_NODE = "training_pipeline"
#: Signal names (keys of ``monitorDefinition.signals``); the policy pack looks for them.
DATA_DRIFT, PREDICTION_DRIFT, DATA_QUALITY = "data_drift", "prediction_drift", "data_quality"
#: Drift metrics of numeric and categorical features (and predictions).
NUMERIC_DRIFT, CATEGORICAL_DRIFT = "NormalizedWassersteinDistance", "JensenShannonDistance"

FREQUENCIES = ("Minute", "Hour", "Day", "Week", "Month")
_WEEK_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TASK_TYPES = ("Classification", "Regression")
_SCHEDULE_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_\-]{0,254}")
_DEPLOYMENT_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]{1,30}[a-zA-Z0-9]")
_INPUT_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,254}")
_ASSET_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_\-.]{0,254}")
#: When a model monitor runs unless told otherwise: daily at 03:00, after the night's scoring.
DEFAULT_MONITOR_CRON = "0 3 * * *"
#: The time zone schedules are read in unless told otherwise.
DEFAULT_TIME_ZONE = "UTC"
_DAYS = re.compile(r"P[1-9][0-9]*D")
_SHORT_ASSET = re.compile(r"azureml:(?P<name>[a-zA-Z0-9_\-.]+):(?P<version>[a-zA-Z0-9_\-.]+)")
_MAX_EMAIL_CHARS = 499  # the API's limit on the whole recipient list


class ModelMonitorArgs(TypedDict):
    """Arguments of :class:`ModelMonitor`."""

    workspace_name: pulumi.Input[str]
    """Azure ML workspace of the endpoint."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the workspace."""
    name: str
    """Schedule name, e.g. ``fraud-classifier-monitor``."""
    endpoint_name: pulumi.Input[str]
    """Online endpoint of the monitored deployment."""
    deployment_name: str
    """Monitored deployment; its data collector must collect ``model_inputs`` and ``model_outputs``."""
    baseline_data: str
    """Training data as an MLTable asset, pinned to a version (``azureml:<name>:<version>``) or as a full URI."""
    data_drift_threshold: float
    """Data drift alert threshold, in (0, 1]: normalized Wasserstein (numeric) and Jensen-Shannon (categorical)."""
    prediction_drift_threshold: float
    """Prediction drift alert threshold, in (0, 1], with the same metrics as data drift."""
    data_quality_null_rate_threshold: float
    """Largest acceptable share of null values per feature, in (0, 1]."""
    emails: Sequence[str]
    """Who is emailed when a threshold is breached (499 characters in all)."""
    cron: NotRequired[str]
    """When the monitor runs (default ``0 3 * * *``: daily at 03:00)."""
    time_zone: NotRequired[str]
    """Time zone of ``cron`` (default ``UTC``)."""
    compute_instance_type: NotRequired[str]
    """Serverless Spark size (default ``standard_e4s_v3``)."""
    spark_runtime_version: NotRequired[str]
    """Serverless Spark runtime (default ``3.4``)."""
    task_type: NotRequired[str]
    """``Classification`` (default) or ``Regression``."""
    target_column: NotRequired[str]
    """Label column of the baseline: prediction drift compares predictions with it, data drift leaves it out."""
    lookback_window: NotRequired[str]
    """Production data each run looks at, in days (default ``P7D``: a week is steadier than a day of traffic)."""
    identity_id: NotRequired[pulumi.Input[str] | None]
    """User-assigned identity the monitoring jobs run as; without it they use the schedule creator's token."""
    tags: NotRequired[dict[str, str]]
    """Tags of the schedule."""


class ModelMonitor(pulumi.ComponentResource):
    """A schedule running data drift, prediction drift and data quality checks of one online deployment."""

    schedule_name: pulumi.Output[str]
    schedule_id: pulumi.Output[str]

    def __init__(self, name: str, args: ModelMonitorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:ModelMonitor", name, None, opts)
        owner = f"ModelMonitor {name}"
        schedule_name = _schedule_name(owner, args["name"])
        deployment = args["deployment_name"]
        if not isinstance(deployment, str) or _DEPLOYMENT_NAME.fullmatch(deployment) is None:
            raise ValueError(
                f"{owner}: invalid deployment_name {deployment!r}: 3-32 letters, digits and hyphens, starting with a "
                "letter and ending with a letter or digit"
            )
        drift = _fraction(owner, "data_drift_threshold", args["data_drift_threshold"])
        prediction = _fraction(owner, "prediction_drift_threshold", args["prediction_drift_threshold"])
        quality = _fraction(owner, "data_quality_null_rate_threshold", args["data_quality_null_rate_threshold"])
        emails = _emails(owner, args["emails"])
        cron = args.get("cron", DEFAULT_MONITOR_CRON)
        instance_type = str(args.get("compute_instance_type", MONITOR_INSTANCE_TYPES[0])).lower()
        if instance_type not in MONITOR_INSTANCE_TYPES:
            raise ValueError(f"{owner}: compute_instance_type {instance_type!r} is not one of {', '.join(MONITOR_INSTANCE_TYPES)}")
        task_type = _choice(owner, "task_type", args.get("task_type", "Classification"), _TASK_TYPES)
        window = args.get("lookback_window", "P7D")
        if not isinstance(window, str) or _DAYS.fullmatch(window) is None:
            raise ValueError(f"{owner}: lookback_window {window!r} must be a number of days such as 'P7D'")
        trigger = _trigger(owner, cron=cron, recurrence=None, time_zone=args.get("time_zone", DEFAULT_TIME_ZONE))

        client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self))
        workspace = _workspace_id(client.subscription_id, args["resource_group_name"], args["workspace_name"])
        baseline = _asset_uri(owner, "baseline_data", args["baseline_data"], workspace)
        endpoint = args["endpoint_name"]
        deployment_id = pulumi.Output.concat(workspace, "/onlineEndpoints/", endpoint, "/deployments/", deployment)
        columns = {"target_column": args["target_column"]} if args.get("target_column") else None

        def collected(collection: str) -> ml.RollingInputDataArgs:
            # The deployment's data collector registers what it collects as <endpoint>-<deployment>-<collection>.
            asset = pulumi.Output.concat(endpoint, "-", deployment, "-", collection)
            return ml.RollingInputDataArgs(
                input_data_type="Rolling",
                job_input_type="uri_folder",
                uri=pulumi.Output.concat("azureml:", workspace, "/data/", asset, "/versions/", COLLECTED_DATA_VERSION),
                data_context=collection,
                window_size=window,
                window_offset="P0D",
            )

        reference = ml.FixedInputDataArgs(
            input_data_type="Fixed", job_input_type="mltable", uri=baseline, data_context="training", columns=columns
        )
        alert = ["AmlNotification"]
        signals: dict[str, Any] = {
            DATA_DRIFT: ml.DataDriftMonitoringSignalArgs(
                signal_type="DataDrift",
                production_data=collected("model_inputs"),
                reference_data=reference,
                features=ml.AllFeaturesArgs(filter_type="AllFeatures"),
                # Distances for numbers and categories alike (both in [0, 1]), so one threshold means the same for both.
                metric_thresholds=[
                    ml.NumericalDataDriftMetricThresholdArgs(data_type="Numerical", metric=NUMERIC_DRIFT, threshold=_at(drift)),
                    ml.CategoricalDataDriftMetricThresholdArgs(data_type="Categorical", metric=CATEGORICAL_DRIFT, threshold=_at(drift)),
                ],
                notification_types=alert,
            ),
            PREDICTION_DRIFT: ml.PredictionDriftMonitoringSignalArgs(
                signal_type="PredictionDrift",
                production_data=collected("model_outputs"),
                reference_data=reference,
                metric_thresholds=[
                    ml.NumericalPredictionDriftMetricThresholdArgs(data_type="Numerical", metric=NUMERIC_DRIFT, threshold=_at(prediction)),
                    ml.CategoricalPredictionDriftMetricThresholdArgs(
                        data_type="Categorical", metric=CATEGORICAL_DRIFT, threshold=_at(prediction)
                    ),
                ],
                notification_types=alert,
            ),
            DATA_QUALITY: ml.DataQualityMonitoringSignalArgs(
                signal_type="DataQuality",
                production_data=collected("model_inputs"),
                reference_data=reference,
                features=ml.AllFeaturesArgs(filter_type="AllFeatures"),
                metric_thresholds=[
                    ml.NumericalDataQualityMetricThresholdArgs(data_type="Numerical", metric="NullValueRate", threshold=_at(quality)),
                    ml.CategoricalDataQualityMetricThresholdArgs(data_type="Categorical", metric="NullValueRate", threshold=_at(quality)),
                ],
                notification_types=alert,
            ),
        }

        identity_id = args.get("identity_id")
        compute_identity: ml.AmlTokenComputeIdentityArgs | ml.ManagedComputeIdentityArgs
        if identity_id is not None:
            compute_identity = ml.ManagedComputeIdentityArgs(
                compute_identity_type="ManagedIdentity",
                identity=ml.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[identity_id]),
            )
        else:
            compute_identity = ml.AmlTokenComputeIdentityArgs(compute_identity_type="AmlToken")

        schedule = ml.Schedule(
            name,
            name=schedule_name,
            workspace_name=args["workspace_name"],
            resource_group_name=args["resource_group_name"],
            properties=ml.SchedulePropertiesArgs(
                display_name=f"Monitoring of {deployment}",
                description=f"Data drift, prediction drift and data quality of online deployment {deployment} against its training data.",
                is_enabled=True,
                trigger=trigger,
                action=ml.CreateMonitorActionArgs(
                    action_type="CreateMonitor",
                    monitor_definition=ml.MonitorDefinitionArgs(
                        compute_configuration=ml.MonitorServerlessSparkComputeArgs(
                            compute_type="ServerlessSpark",
                            instance_type=instance_type,
                            runtime_version=args.get("spark_runtime_version", "3.4"),
                            compute_identity=compute_identity,
                        ),
                        monitoring_target=ml.MonitoringTargetArgs(task_type=task_type, deployment_id=deployment_id),
                        signals=signals,
                        alert_notification_settings=ml.MonitorNotificationSettingsArgs(
                            email_notification_settings=ml.MonitorEmailNotificationSettingsArgs(emails=emails),
                        ),
                    ),
                ),
                tags=args.get("tags"),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.schedule_name = schedule.name
        self.schedule_id = schedule.id
        self.register_outputs({"schedule_name": self.schedule_name, "schedule_id": self.schedule_id})


class RecurrenceArgs(TypedDict):
    """A recurrence trigger: every ``interval`` ``frequency`` units, optionally at given times and days."""

    frequency: str
    """``Minute``, ``Hour``, ``Day``, ``Week`` or ``Month``."""
    interval: int
    """How many frequency units between runs, at least 1."""
    hours: NotRequired[Sequence[int]]
    """Hours of day (0-23) of each run; Day, Week and Month frequencies only."""
    minutes: NotRequired[Sequence[int]]
    """Minutes (0-59) past those hours (default 0)."""
    week_days: NotRequired[Sequence[str]]
    """Days of week (``Monday``...); Week and Month frequencies only."""


class RetrainingScheduleArgs(TypedDict):
    """Arguments of :class:`RetrainingSchedule`."""

    workspace_name: pulumi.Input[str]
    """Azure ML workspace the pipeline runs in."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the workspace."""
    name: str
    """Schedule name, e.g. ``fraud-classifier-retraining``."""
    pipeline_component_id: pulumi.Input[str]
    """Training pipeline component published by CI, e.g. ``azureml://registries/<r>/components/training_pipeline/versions/3``."""
    inputs: Mapping[str, str]
    """Pipeline inputs: name to folder URI, read when each run starts (e.g. ``azureml://datastores/<ds>/paths/<p>/``)."""
    compute: str
    """Default compute of the pipeline: a cluster name in the workspace, or its resource ID."""
    registered_outputs: NotRequired[Mapping[str, str]]
    """Pipeline MLTable outputs registered as data assets at every run: output name to asset name (each run adds a
    version). The training pipeline's ``training_reference`` is the drift monitors' baseline."""
    cron: NotRequired[str]
    """When to retrain, as a cron expression; give this or ``recurrence``."""
    recurrence: NotRequired[RecurrenceArgs]
    """When to retrain, as a recurrence; give this or ``cron``."""
    time_zone: NotRequired[str]
    """Time zone of the trigger (default ``UTC``)."""
    experiment_name: NotRequired[str]
    """Experiment the runs are filed under (default ``retraining``)."""
    tags: NotRequired[dict[str, str]]
    """Tags of the schedule and of every run it starts."""


class RetrainingSchedule(pulumi.ComponentResource):
    """A schedule that runs the registered training pipeline on the newest data, unattended."""

    schedule_name: pulumi.Output[str]
    schedule_id: pulumi.Output[str]

    def __init__(self, name: str, args: RetrainingScheduleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplatform:index:RetrainingSchedule", name, None, opts)
        owner = f"RetrainingSchedule {name}"
        schedule_name = _schedule_name(owner, args["name"])
        component_id = args["pipeline_component_id"]
        # An output (the registry's name is only known once it exists) is checked by the type system alone.
        if component_id is None or (isinstance(component_id, str) and not component_id.startswith(("azureml:", "/subscriptions/"))):
            raise ValueError(
                f"{owner}: pipeline_component_id {component_id!r} must be an Azure ML component reference "
                "(azureml://registries/<registry>/components/<name>/versions/<version>, or a resource ID)"
            )
        inputs = dict(args["inputs"])
        if not inputs:
            raise ValueError(f"{owner}: inputs must name at least one data folder of the pipeline")
        for input_name, uri in inputs.items():
            if not isinstance(input_name, str) or _INPUT_NAME.fullmatch(input_name) is None:
                raise ValueError(f"{owner}: input name {input_name!r} must be letters, digits and underscores, not starting with a digit")
            if not isinstance(uri, str) or not uri.strip():
                raise ValueError(f"{owner}: input {input_name!r} needs a folder URI, got {uri!r}")
        registered = dict(args.get("registered_outputs") or {})
        for output_name, asset in registered.items():
            if not isinstance(output_name, str) or _INPUT_NAME.fullmatch(output_name) is None:
                raise ValueError(f"{owner}: output name {output_name!r} must be letters, digits and underscores, not starting with a digit")
            if not isinstance(asset, str) or _ASSET_NAME.fullmatch(asset) is None:
                raise ValueError(f"{owner}: output {output_name!r} needs a data asset name (letters, digits, '-', '_', '.'), got {asset!r}")
        compute = args["compute"]
        if not isinstance(compute, str) or not compute.strip() or ("/" in compute and not compute.startswith("/subscriptions/")):
            raise ValueError(f"{owner}: compute {compute!r} must be a compute name in the workspace or a compute resource ID")
        trigger = _trigger(owner, cron=args.get("cron"), recurrence=args.get("recurrence"), time_zone=args.get("time_zone", DEFAULT_TIME_ZONE))
        experiment = args.get("experiment_name", "retraining")
        tags = args.get("tags")

        if compute.startswith("/subscriptions/"):
            compute_id: pulumi.Input[str] = compute
        else:
            client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self))
            workspace = _workspace_id(client.subscription_id, args["resource_group_name"], args["workspace_name"])
            compute_id = pulumi.Output.concat(workspace, "/computes/", compute)

        job = ml.PipelineJobArgs(
            job_type="Pipeline",
            display_name=f"Scheduled retraining ({schedule_name})",
            description="Retrains on the input folders' data at run time; the model is registered only if it beats the champion.",
            experiment_name=experiment,
            compute_id=compute_id,
            inputs={
                input_name: ml.UriFolderJobInputArgs(job_input_type="uri_folder", uri=uri, mode="ReadOnlyMount")
                for input_name, uri in sorted(inputs.items())
            },
            # Each run registers a new version of these assets in the workspace (what monitors read as their baseline).
            outputs={
                output_name: ml.MLTableJobOutputArgs(job_output_type="mltable", asset_name=asset, mode="ReadWriteMount")
                for output_name, asset in sorted(registered.items())
            } or None,
            # `jobs` and `settings` are free-form in the API (and untyped in the SDK): these are the JSON shapes Azure
            # ML expects, with the node's inputs bound to the pipeline job's inputs.
            jobs={
                RETRAINING_NODE: {
                    "type": "pipeline",
                    "name": RETRAINING_NODE,
                    "componentId": component_id,
                    "inputs": {
                        input_name: {"job_input_type": "literal", "value": f"${{{{parent.inputs.{input_name}}}}}"}
                        for input_name in sorted(inputs)
                    },
                    **({"outputs": {
                        output_name: {"type": "literal", "value": f"${{{{parent.outputs.{output_name}}}}}"}
                        for output_name in sorted(registered)
                    }} if registered else {}),
                }
            },
            settings={"default_compute": compute_id, "continue_on_step_failure": False},
            tags=tags,
        )

        schedule = ml.Schedule(
            name,
            name=schedule_name,
            workspace_name=args["workspace_name"],
            resource_group_name=args["resource_group_name"],
            properties=ml.SchedulePropertiesArgs(
                display_name=f"Retraining ({schedule_name})",
                description="Runs the registered training pipeline on the newest data.",
                is_enabled=True,
                trigger=trigger,
                action=ml.JobScheduleActionArgs(action_type="CreateJob", job_definition=job),
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.schedule_name = schedule.name
        self.schedule_id = schedule.id
        self.register_outputs({"schedule_name": self.schedule_name, "schedule_id": self.schedule_id})


def _at(value: float) -> ml.MonitoringThresholdArgs:
    return ml.MonitoringThresholdArgs(value=value)


def _schedule_name(owner: str, value: object) -> str:
    if not isinstance(value, str) or _SCHEDULE_NAME.fullmatch(value) is None:
        raise ValueError(
            f"{owner}: invalid schedule name {value!r}: 1-255 letters, digits, hyphens and underscores, "
            "starting with a letter or digit"
        )
    return value


def _fraction(owner: str, key: str, value: object) -> float:
    """A threshold in (0, 1]: drift distances and rates are normalized, so anything else is a typo."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 < value <= 1:
        raise ValueError(f"{owner}: {key} must be greater than 0 and at most 1, got {value!r}")
    return float(value)


def _emails(owner: str, emails: Sequence[str]) -> list[str]:
    if isinstance(emails, str):
        raise ValueError(f"{owner}: emails must be a list of addresses, not the string {emails!r}")
    found = list(emails or [])
    if not found:
        raise ValueError(f"{owner}: emails must name at least one recipient of monitoring alerts, got {found!r}")
    for email in found:
        if not is_email(email):
            raise ValueError(f"{owner}: {email!r} in emails is not an email address")
    if len(",".join(found)) > _MAX_EMAIL_CHARS:
        raise ValueError(f"{owner}: emails {found!r} exceed the {_MAX_EMAIL_CHARS} characters Azure ML allows in all")
    return found


def _choice(owner: str, key: str, value: object, allowed: Sequence[str]) -> str:
    """``value`` matched case-insensitively against ``allowed``, returned as Azure ML spells it."""
    for option in allowed:
        if isinstance(value, str) and value.lower() == option.lower():
            return option
    raise ValueError(f"{owner}: {key} {value!r} is not one of {', '.join(allowed)}")


def _trigger(
    owner: str, *, cron: str | None, recurrence: RecurrenceArgs | None, time_zone: str
) -> ml.CronTriggerArgs | ml.RecurrenceTriggerArgs:
    """The schedule trigger from exactly one of ``cron`` and ``recurrence``, validated."""
    if (cron is None) == (recurrence is None):
        raise ValueError(f"{owner}: give exactly one of cron and recurrence (cron={cron!r}, recurrence={recurrence!r})")
    if not isinstance(time_zone, str) or not time_zone.strip():
        raise ValueError(f"{owner}: time_zone {time_zone!r} must name a time zone, e.g. 'UTC'")
    if cron is not None:
        problems = validate_cron(cron)
        if problems:
            raise ValueError(f"{owner}: invalid cron {cron!r}: {'; '.join(problems)}")
        return ml.CronTriggerArgs(trigger_type="Cron", expression=cron, time_zone=time_zone)
    assert recurrence is not None
    frequency = _choice(owner, "recurrence frequency", recurrence.get("frequency"), FREQUENCIES)
    interval = recurrence.get("interval")
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise ValueError(f"{owner}: recurrence interval must be a whole number of at least 1, got {interval!r}")
    hours = list(recurrence.get("hours") or [])
    minutes = list(recurrence.get("minutes") or [])
    week_days = [_choice(owner, "recurrence week day", day, _WEEK_DAYS) for day in recurrence.get("week_days") or []]
    schedule = None
    if hours or minutes or week_days:
        if frequency in ("Minute", "Hour"):
            raise ValueError(f"{owner}: recurrence hours, minutes and week_days need frequency Day, Week or Month, not {frequency}")
        if week_days and frequency == "Day":
            raise ValueError(f"{owner}: recurrence week_days {week_days!r} need frequency Week or Month, not Day")
        if not hours:
            raise ValueError(f"{owner}: recurrence hours are required with minutes or week_days (got minutes={minutes!r})")
        _in_range(owner, "recurrence hours", hours, 0, 23)
        _in_range(owner, "recurrence minutes", minutes, 0, 59)
        schedule = ml.RecurrenceScheduleArgs(hours=hours, minutes=minutes or [0], week_days=week_days or None)
    return ml.RecurrenceTriggerArgs(
        trigger_type="Recurrence", frequency=frequency, interval=interval, schedule=schedule, time_zone=time_zone
    )


def _in_range(owner: str, key: str, values: Sequence[int], low: int, high: int) -> None:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{owner}: {key} must be whole numbers from {low} to {high}, got {value!r}")


def _workspace_id(
    subscription_id: pulumi.Input[str], resource_group: pulumi.Input[str], workspace: pulumi.Input[str]
) -> pulumi.Output[str]:
    return pulumi.Output.concat(
        "/subscriptions/", subscription_id, "/resourceGroups/", resource_group,
        "/providers/Microsoft.MachineLearningServices/workspaces/", workspace,
    )


def _asset_uri(owner: str, key: str, reference: str, workspace: pulumi.Output[str]) -> pulumi.Input[str]:
    """A data reference as the API takes it: ``azureml:<name>:<version>`` becomes the asset's resource ID (as the
    CLI does); URIs and resource IDs pass through. ``@latest`` is refused: a baseline that moves silently changes
    what drift means."""
    if not isinstance(reference, str):
        raise ValueError(f"{owner}: {key} must be a string, got {reference!r}")
    short = _SHORT_ASSET.fullmatch(reference)
    if short:
        return pulumi.Output.concat("azureml:", workspace, "/data/", short["name"], "/versions/", short["version"])
    if reference.startswith(("azureml://", "azureml:/subscriptions/", "https://", "abfss://", "wasbs://")):
        return reference
    raise ValueError(
        f"{owner}: {key} {reference!r} must be a data asset pinned to a version (azureml:<name>:<version>) or a URI "
        "(azureml://..., https://...); @latest is not accepted because the baseline must not move"
    )
