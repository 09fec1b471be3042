"""Stateful fuzzing along the OpenAPI links (a climate schedule created, then read, changed and
deleted through the links its 201 names; a command sent, then read), as the first owner on their
real car. Schemathesis's stateful checks (a deleted resource is gone, a created one is there) run
on top of the default ones on every step."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from tests.fuzz.support import FIGURES, OWNER, World, load_schema

_schema = load_schema().include(path_regex=r"/vehicles/\{vin\}/(climate-schedules|commands)")


class RemoteWorkflow(_schema.as_state_machine()):  # type: ignore[misc]
    world: World

    def before_call(self, case: schemathesis.Case) -> None:
        case.path_parameters["vin"] = self.world.vin

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
        return {"headers": self.world.headers[OWNER]}

    def after_call(self, response: schemathesis.Response, case: schemathesis.Case) -> None:
        super().after_call(response, case)
        FIGURES.count(case.operation.label, response.status_code)
        FIGURES.stateful_steps += 1


def test_create_read_change_delete(world: World) -> None:
    RemoteWorkflow.world = world
    RemoteWorkflow.run(
        settings=settings(
            max_examples=10,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert FIGURES.stateful_steps > 0
