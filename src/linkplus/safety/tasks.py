"""The safety services' reactions and tasks.

The car's emergency events, status lights, tracking states and held positions are taken in
inside the gateway's transaction (``Reaction``): a case is on record, and in the console's
stream, as soon as the message that opened it is stored, and a message is acknowledged to the
broker only then. The owner is told by a job after the commit (``Subscription``)."""

from __future__ import annotations

from linkplus.events import Reaction, Subscription
from linkplus.garage import service as garage
from linkplus.jobs import JobContext, task
from linkplus.models.notifications import Category
from linkplus.models.safety import CaseKind, TrackingState
from linkplus.notifications import service as notifications
from linkplus.notifications.links import CarPage, car_page
from linkplus.safety import repository, service
from linkplus.safety.events import CaseOpened, TrackingChanged
from linkplus.vehicle_link.events import (
    EmergencyReported,
    EmergencySystemReported,
    EmergencyVoiceReported,
    HeldPosition,
    TrackingReported,
)

OPENED_TEXT = {
    CaseKind.sos.value: (
        "An SOS call was made from your car",
        "The SOS button of your car was pressed and the emergency centre was called. If this "
        "was a mistake, tell the agent on the line.",
    ),
    CaseKind.collision.value: (
        "Your car reported a collision",
        "Your car detected a collision and called the emergency centre, which is handling it.",
    ),
    CaseKind.theft.value: (
        "Theft report received",
        "The theft report for your car reached the customer centre. An agent checks it and "
        "starts tracking; the police keep you informed.",
    ),
}

TRACKING_TEXT = {
    TrackingState.active.value: (
        "Stolen-vehicle tracking is on",
        "The customer centre is tracking your car. Location and remote control are off in the "
        "app meanwhile.",
    ),
    TrackingState.ended.value: (
        "Stolen-vehicle tracking has ended",
        "Tracking of your car has ended. Once you have your car back, reactivate its services "
        "in the app.",
    ),
}


@task("safety.tell_owner_case_opened")
async def tell_owner_case_opened(ctx: JobContext, event: CaseOpened) -> None:
    case = await repository.get_case(ctx.session, event.case_id)
    if case is None or case.account_id is None:
        return
    if await garage.primary_account_id(ctx.session, case.vin) != case.account_id:
        return  # the car changed hands since: the new owner is not told of the old one's events
    title, body = OPENED_TEXT[case.kind]
    await notifications.notify(
        ctx.session,
        now=ctx.runtime.clock.now(),
        account_id=case.account_id,
        category=Category.vehicle_alerts,
        kind=f"safety.{case.kind}",
        title=title,
        body=body,
        link=car_page(ctx.runtime.settings.public_url, case.vin, CarPage.safety),
    )


@task("safety.tell_owner_tracking")
async def tell_owner_tracking(ctx: JobContext, event: TrackingChanged) -> None:
    case = await repository.get_case(ctx.session, event.case_id)
    text = TRACKING_TEXT.get(event.tracking)
    if case is None or case.account_id is None or text is None:
        return
    if await garage.primary_account_id(ctx.session, case.vin) != case.account_id:
        return
    await notifications.notify(
        ctx.session,
        now=ctx.runtime.clock.now(),
        account_id=case.account_id,
        category=Category.vehicle_alerts,
        kind=f"safety.tracking_{event.tracking}",
        title=text[0],
        body=text[1],
        link=car_page(ctx.runtime.settings.public_url, case.vin, CarPage.safety),
    )


SUBSCRIPTIONS = [
    Subscription(CaseOpened, tell_owner_case_opened),
    Subscription(TrackingChanged, tell_owner_tracking),
]
REACTIONS = [
    Reaction(EmergencyReported, service.on_emergency),
    Reaction(EmergencyVoiceReported, service.on_voice),
    Reaction(EmergencySystemReported, service.on_system_reported),
    Reaction(TrackingReported, service.on_tracking_reported),
    Reaction(HeldPosition, service.on_held_position),
]
