"""The offline runner keeps a program's stack outputs whatever order the mock monitor's threads answer in.

``pulumi.runtime.set_mocks`` installs a finished root stack of its own, which registers empty outputs under the URN
of the program's stack, through the executor's threads. When its answer arrived after the program's, the plan lost
its outputs (seen as a rare failure of a loaded CI run). The recorder no longer lets an empty registration replace
the program's outputs.
"""

from __future__ import annotations

import threading
import time

import pulumi

from blueprint.tools.preview.recorder import PlanRecorder
from blueprint.tools.preview.runner import run_under_mocks

STACK_URN = "urn:pulumi:test::mlplatform::pulumi:pulumi:Stack::mlplatform-test"


def test_a_late_answer_for_set_mocks_own_stack_does_not_replace_the_programs_outputs(monkeypatch) -> None:
    """set_mocks' registration (the first) is made to answer slowly, as a busy thread would, so it lands last."""
    original = PlanRecorder.RegisterResourceOutputs
    calls: list[str] = []
    lock = threading.Lock()

    def slow_first(self, request):  # noqa: ANN001 - the gRPC method's own signature
        with lock:
            calls.append(request.urn)
            first = len(calls) == 1
        if first:
            time.sleep(0.3)
        return original(self, request)

    monkeypatch.setattr(PlanRecorder, "RegisterResourceOutputs", slow_first)

    def body() -> None:
        pulumi.export("answer", pulumi.Output.all().apply(lambda values: [*values, 42]))

    plan = run_under_mocks(body, project="mlplatform", stack="test")
    assert calls == [STACK_URN, STACK_URN], "set_mocks' stack and the program's each register outputs once"
    assert plan.outputs == {"answer": [42]}


def test_a_program_exporting_nothing_has_no_outputs() -> None:
    plan = run_under_mocks(lambda: None, project="mlplatform", stack="test")
    assert plan.outputs == {}
