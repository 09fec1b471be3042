"""Tasks that stop connected services when what they rest on goes away.

Each runs after the change that caused it has committed and is idempotent: it stops what is still
running, so running it twice stops nothing more. Each also checks that its cause still holds, so
a job that runs late does not stop what the owner set up again in the meantime.
"""

from __future__ import annotations

from linkplus.connected_services import repository, service
from linkplus.events import Subscription
from linkplus.garage import service as garage
from linkplus.garage.events import PrimaryAccountChanged, VehicleRemovedFromAccount
from linkplus.jobs import JobContext, task
from linkplus.models.notifications import Category
from linkplus.models.privacy import DocumentKind
from linkplus.models.services import DeactivationReason, ServiceActivation
from linkplus.notifications import service as notifications
from linkplus.privacy import service as privacy
from linkplus.privacy.events import TermsOfUseWithdrawn


async def _stop(ctx: JobContext, rows: list[ServiceActivation], reason: DeactivationReason) -> None:
    """Stop what still runs, as the system (each task's cause is the audit's reason)."""
    await service.stop(
        ctx.session, now=ctx.now, rows=rows, reason=reason, actor_type="system", actor_id=None
    )


@task("services.stop_for_removed_vehicle")
async def stop_for_removed_vehicle(ctx: JobContext, event: VehicleRemovedFromAccount) -> None:
    """The car left the account: its services stop for that account, its checklist goes."""
    vin, account_id = event.vin, event.account_id
    if vin in await garage.garage_vins(ctx.session, account_id):
        return  # added back since; the new link starts from what is there now
    rows = await repository.not_deactivated(ctx.session, account_id=account_id, vin=vin)
    await _stop(ctx, rows, DeactivationReason.vehicle_removed)
    await repository.delete_marks(ctx.session, account_id=account_id, vin=vin)


@task("services.stop_for_previous_primary")
async def stop_for_previous_primary(ctx: JobContext, event: PrimaryAccountChanged) -> None:
    """Another account became primary: the previous primary's activations stop."""
    if event.previous_account_id is None:
        return
    vin, previous = event.vin, event.previous_account_id
    if await garage.primary_account_id(ctx.session, vin) == previous:
        return  # it became primary again since
    rows = await repository.not_deactivated(ctx.session, account_id=previous, vin=vin)
    await _stop(ctx, rows, DeactivationReason.primary_changed)


@task("services.stop_for_withdrawn_terms")
async def stop_for_withdrawn_terms(ctx: JobContext, event: TermsOfUseWithdrawn) -> None:
    """The Terms of Use were withdrawn: services stop on all the account's cars; tell the owner."""
    account_id = event.account_id
    if await privacy.has_standing_consent(
        ctx.session, account_id=account_id, document=DocumentKind.terms_of_use
    ):
        return  # accepted again since
    rows = await repository.not_deactivated(ctx.session, account_id=account_id)
    await _stop(ctx, rows, DeactivationReason.terms_withdrawn)
    public_url = ctx.runtime.settings.public_url.rstrip("/")
    await notifications.notify(
        ctx.session,
        now=ctx.now,
        account_id=account_id,
        category=Category.account,
        kind="connected_services_stopped",
        title="Connected services stopped",
        body=(
            "You withdrew your acceptance of the Terms of Use, so connected services have "
            "stopped on all your cars. To use them again, accept the current Terms of Use in the "
            "Data Privacy Portal and activate the services in the Connected Services Centre."
        ),
        link=f"{public_url}/privacy",
    )


SUBSCRIPTIONS = [
    Subscription(VehicleRemovedFromAccount, stop_for_removed_vehicle),
    Subscription(PrimaryAccountChanged, stop_for_previous_primary),
    Subscription(TermsOfUseWithdrawn, stop_for_withdrawn_terms),
]
