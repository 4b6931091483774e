"""A mock resource monitor that records every registration the program makes, as the engine would see it."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from blueprint.tools.preview.plan import PlannedResource
from blueprint.tools.termination import stop_if_interrupted

SECRET = "[secret]"
UNKNOWN = "[unknown]"


class PlanRecorder(MockMonitor):
    """Records type, name, parent, inputs, dependencies, protection and ignored changes of each resource, plus stack
    outputs.

    Registrations are keyed by URN (the root stack is registered twice when mocks are installed); their order
    is the program's registration order.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: dict[str, PlannedResource] = {}
        self.stack_outputs: dict[str, Any] = {}
        self.unknown_inputs: list[str] = []
        self._thread_loops: list[asyncio.AbstractEventLoop] = []
        self._thread_loops_lock = threading.Lock()

    def _give_thread_a_loop(self) -> None:
        """The SDK's mock monitor makes an event loop for each executor thread it answers on and never closes it;
        collected later, such a loop's finaliser finds its sockets already gone and prints "Exception ignored" on
        standard error at a random moment. The recorder makes those loops itself, so the run can close them."""
        try:
            asyncio.get_event_loop()
        except RuntimeError:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            with self._thread_loops_lock:
                self._thread_loops.append(loop)

    def close_thread_loops(self) -> None:
        """Close the executor threads' loops; called once the run's executor has shut down."""
        with self._thread_loops_lock:
            loops, self._thread_loops = self._thread_loops, []
        for loop in loops:
            loop.close()

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self._give_thread_a_loop()
        return super().Invoke(request)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        stop_if_interrupted()  # Ctrl-C that the SDK swallowed stops the run at its next registration
        self._give_thread_a_loop()
        response = super().RegisterResource(request)
        urn = response.urn
        inputs = _plain(rpc.deserialize_properties(request.object, keep_unknowns=True), urn, self.unknown_inputs)
        registered = self.resources.get(urn)
        self.registrations[urn] = PlannedResource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            inputs=inputs,
            dependencies=sorted(set(request.dependencies)),
            property_dependencies={
                key: sorted(set(deps.urns)) for key, deps in sorted(request.propertyDependencies.items())
            },
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            ignore_changes=sorted(request.ignoreChanges),
            id=(registered.id or None) if registered else None,
            outputs=_plain(registered.state, urn, []) if registered else {},
        )
        return response

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self._give_thread_a_loop()
        stop_if_interrupted()
        response = super().ReadResource(request)
        urn = response.urn
        registered = self.resources[urn]
        self.registrations[urn] = PlannedResource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=True,
            inputs=_plain(rpc.deserialize_properties(request.properties, keep_unknowns=True), urn, self.unknown_inputs),
            dependencies=sorted(set(request.dependencies)),
            property_dependencies={},
            protect=False,
            id=registered.id or request.id or None,
            outputs=_plain(registered.state, urn, []),
            operation="read",
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            outputs = _plain(rpc.deserialize_properties(request.outputs, keep_unknowns=True), request.urn, [])
            # Two stacks register outputs under this URN: the finished one pulumi.runtime.set_mocks installs (always
            # empty) and the program's. Their answers come through the executor's threads in either order, so an
            # empty registration never replaces the program's outputs.
            if outputs or not self.stack_outputs:
                self.stack_outputs = outputs
        return super().RegisterResourceOutputs(request)


class DiagnosticsLog(logging.Handler):
    """Collects what the program logs through ``pulumi.log`` (warnings, errors) for the plan."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: list[dict[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append({"severity": record.levelname.lower(), "message": record.getMessage()})

    def logger(self) -> logging.Logger:
        logger = logging.getLogger(f"blueprint.tools.preview.{id(self)}")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger.addHandler(self)
        return logger


def _plain(value: Any, urn: str, unknowns: list[str], path: str = "") -> Any:
    """JSON-ready copy of a deserialized property value: secrets masked, unknowns marked and noted."""
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, dict):
        # Keys sorted: maps built from concurrent outputs arrive in any order, and a plan must not.
        return {str(k): _plain(v, urn, unknowns, f"{path}.{k}" if path else str(k)) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_plain(v, urn, unknowns, f"{path}[{i}]") for i, v in enumerate(value)]
    if value == rpc.UNKNOWN or isinstance(value, pulumi.output.Unknown):
        unknowns.append(f"{urn}: {path}")
        return UNKNOWN
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, pulumi.Resource):
        return f"[resource {type(value).__name__}]"
    return str(value)
