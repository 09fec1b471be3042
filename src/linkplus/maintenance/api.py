"""The maintenance API: the owner's health report, its monthly PDF, the service schedule and
history under /vehicles/{vin}/...; the dealer's visit records under /staff/vehicles/{vin}/..."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import Response

from linkplus.auth.deps import staff_with_role
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.garage.deps import GarageVehicle, PrimaryVehicle
from linkplus.kit.parsing import YearMonth
from linkplus.maintenance import service
from linkplus.maintenance.schemas import (
    DealerVisitIn,
    HealthReportOut,
    OwnerServiceRecordIn,
    ServiceDueOut,
    ServiceRecordOut,
)
from linkplus.models.accounts import StaffAccount, StaffRole

router = APIRouter(tags=["maintenance"], responses=problem_responses(404, 409))
staff_router = APIRouter(tags=["staff", "maintenance"], responses=problem_responses(400, 404))

Dealer = Annotated[StaffAccount, Depends(staff_with_role(StaffRole.dealer, StaffRole.agent))]
Month = Annotated[str, YearMonth(2000, 2999)]


@router.get("/vehicles/{vin}/health")
async def health_report(
    car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> HealthReportOut:
    """Warning lights on now and trouble codes, each explained; tyres, 12 V battery, oil and
    odometer as last reported."""
    return await service.health_report(session, runtime, car)


@router.get("/vehicles/{vin}/health/report.pdf", response_class=Response)
async def health_report_pdf(
    car: PrimaryVehicle,
    session: SessionDep,
    runtime: RuntimeDep,
    month: Annotated[Month, Query(description="The month, YYYY-MM")],
) -> Response:
    """The month's health report as a PDF."""
    content = await service.monthly_pdf(session, runtime, car, month=month)
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="health-{car.vehicle.vin}-{month}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/vehicles/{vin}/service")
async def service_due(
    car: PrimaryVehicle, session: SessionDep, runtime: RuntimeDep
) -> ServiceDueOut:
    """When the next service is due, by distance and by time, whichever comes first (the
    primary account's: it is read from the car's mileage)."""
    return await service.service_due(session, runtime, car)


@router.get("/vehicles/{vin}/service-history")
async def service_history(car: GarageVehicle, session: SessionDep) -> list[ServiceRecordOut]:
    """The dealer's visits and your own records, newest first."""
    return await service.service_history(session, car)


@router.post("/vehicles/{vin}/service-history", status_code=status.HTTP_201_CREATED)
async def add_service_record(
    body: OwnerServiceRecordIn, car: GarageVehicle, session: SessionDep, runtime: RuntimeDep
) -> ServiceRecordOut:
    """Add your own record (work done elsewhere). A full service (``is_service``) starts the
    service schedule again from it."""
    return await service.add_owner_record(session, runtime, car, body)


@staff_router.post("/staff/vehicles/{vin}/service-visits", status_code=status.HTTP_201_CREATED)
async def record_visit(
    vin: str, body: DealerVisitIn, staff: Dealer, session: SessionDep, runtime: RuntimeDep
) -> ServiceRecordOut:
    """Record a service visit: date, mileage, work done, cost (audited; the owner is told)."""
    return await service.record_dealer_visit(session, runtime, staff, vin, body)
