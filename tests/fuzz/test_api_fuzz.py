"""Every operation of the OpenAPI, fuzzed in-process with schemathesis and all its default
checks, as each kind of caller."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.fuzz.support import FIGURES, OWNER, SECOND_OWNER, STAFF_ROLES, World, load_schema

schema = load_schema()

_SETTINGS = {"deadline": None, "suppress_health_check": list(HealthCheck), "derandomize": True}


def _call(case: schemathesis.Case, world: World, who: str, real_vin: bool) -> None:
    """Send the case as ``who``, half the time naming the first owner's real car (the second
    owner and staff must then get the same 404 as for an unknown VIN), and run every default
    check on the answer."""
    if real_vin and "vin" in (case.path_parameters or {}):
        case.path_parameters["vin"] = world.vin
    response = case.call_and_validate(headers=world.headers[who])
    FIGURES.count(case.operation.label, response.status_code)
    if real_vin and who != OWNER and case.path.startswith("/api/v1/vehicles/{vin}"):
        # Another owner finds nothing (an invalid body or query may be refused first); a staff
        # token is no owner's sign-in at all.
        allowed = {404, 400, 413, 422} if who == SECOND_OWNER else {401}
        assert response.status_code in allowed, (who, case.operation.label, response.text)


@schema.parametrize()
@schema.given(real_vin=st.booleans())
@settings(max_examples=15, **_SETTINGS)
def test_as_the_owner(case: schemathesis.Case, world: World, real_vin: bool) -> None:
    _call(case, world, OWNER, real_vin)


@schema.parametrize()
@schema.given(real_vin=st.booleans())
@settings(max_examples=4, **_SETTINGS)
def test_as_everyone_else(case: schemathesis.Case, world: World, real_vin: bool) -> None:
    """Each case as the second owner and as staff of every role: the second owner sees none of
    the first owner's car, staff tokens open no owner route and owner tokens no staff route
    (roles beyond that are checked by the staff API's own tests)."""
    for who in (SECOND_OWNER, *STAFF_ROLES):
        _call(case, world, who, real_vin)
