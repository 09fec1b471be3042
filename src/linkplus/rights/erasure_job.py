"""The erasure job (docs/privacy-rights.md, "Erasure"). It runs when the grace period is over,
in steps that may each be repeated (the job is retried until it finishes):

1. the request becomes ``erasing`` (no cancelling from now on); every live subscription is
   cancelled as its owner would cancel it (refunds by the wave-1 rules); every car leaves the
   garage through the garage's own removal (its reactions run: the account's data about each
   car is erased, ``rights.erasure_car``); every sign-in session ends;
2. refunds are paid (no transaction open while the provider is called); the job waits while a
   charge or refund is still with the provider, or while a job that names the account is still
   queued (the reactions to the removals);
3. the cards are deleted at the provider;
4. one transaction erases the rest in every domain, pseudonymises the kept records (invoices,
   subscriptions, safety cases, audit log), deletes the account row and closes the request.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.accounts import data_erasure as accounts
from linkplus.accounts import service as accounts_service
from linkplus.audit import data_erasure as audit
from linkplus.charging import data_erasure as charging
from linkplus.connected_services import data_erasure as connected_services
from linkplus.dealers import data_erasure as dealers
from linkplus.garage import data_erasure as garage
from linkplus.garage import service as garage_service
from linkplus.invoices import data_erasure as invoices
from linkplus.jobs import RetryLater
from linkplus.jobs import data_erasure as jobs
from linkplus.keys import data_erasure as keys
from linkplus.maintenance import data_erasure as maintenance
from linkplus.models.accounts import Account
from linkplus.models.erasure import ErasureState
from linkplus.notifications import data_erasure as notifications
from linkplus.payments import data_erasure as payments
from linkplus.privacy import data_erasure as privacy
from linkplus.remote import data_erasure as remote
from linkplus.rights import erasure_repository as repository
from linkplus.rights import export
from linkplus.runtime import Runtime
from linkplus.safety import data_erasure as safety
from linkplus.subscriptions import data_erasure as subscriptions
from linkplus.subscriptions.errors import LifecycleRefused
from linkplus.support import data_erasure as support
from linkplus.trips import data_erasure as trips
from linkplus.vehicle_link import data_erasure as vehicle_link

WAIT = timedelta(minutes=1)


async def erase_account(runtime: Runtime, request_id: uuid.UUID) -> None:
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        request = await repository.get(session, request_id)
        if request is None or request.state not in (ErasureState.pending, ErasureState.erasing):
            return  # cancelled, or done already
        if request.erase_after > now:
            raise RetryLater("the grace period is not over", delay=request.erase_after - now)
        assert request.account_id is not None
        account_id = request.account_id
        account = await accounts_service.account_by_id(session, account_id)
        assert account is not None
        request.state = ErasureState.erasing
        request.started_at = request.started_at or now
        try:
            subscription_ids = await subscriptions.cancel_all(
                session, runtime, account_id=account_id
            )
        except LifecycleRefused as exc:
            if exc.code == "payment_in_progress":
                raise RetryLater("a charge is being settled; cancel after it", delay=WAIT) from exc
            raise
        for vin in await garage_service.garage_vins(session, account_id):
            await garage_service.remove_vehicle(session, runtime, account, vin)
        await accounts.revoke_sessions(session, runtime, account_id=account_id)
    if await subscriptions.settle(runtime, subscription_ids):
        raise RetryLater("refunds are still with the payment provider", delay=WAIT)
    async with runtime.db.read() as session:
        waiting = await jobs.waiting_jobs(session, [str(account_id)])
        tokens = await payments.card_tokens(session, account_id=account_id)
    if waiting:
        raise RetryLater(f"waiting for the account's jobs: {', '.join(waiting)}", delay=WAIT)
    await payments.forget_at_provider(runtime, tokens)
    async with runtime.db.transaction() as session:
        request = await repository.get(session, request_id)
        account = await accounts_service.account_by_id(session, account_id)
        assert request is not None
        assert account is not None
        if await subscriptions.pending_money(session, subscription_ids):
            raise RetryLater("refunds are still with the payment provider", delay=WAIT)
        await _erase_everything(session, runtime, account, pseudonym=request.pseudonym)
        request.account_id = None
        request.state = ErasureState.done
        request.completed_at = runtime.clock.now()


async def _erase_everything(
    session: AsyncSession, runtime: Runtime, account: Account, *, pseudonym: uuid.UUID
) -> None:
    account_id = account.id
    named_by = await accounts.identifiers(session, account)
    # Cars the account had before, whose data an earlier removal did not erase.
    for vin, spans in (await garage.earlier_tenures(session, account_id)).items():
        await vehicle_link.erase_car_data(session, vin=vin, spans=spans)
    await keys.erase_account_data(session, runtime, account_id=account_id)
    await trips.erase_account_data(session, account_id=account_id)
    await remote.erase_account_data(session, account_id=account_id)
    await charging.erase_account_data(session, account_id=account_id)
    await privacy.erase_account_data(session, account_id=account_id)
    await connected_services.erase_account_data(session, account_id=account_id)
    await dealers.erase_account_data(session, account_id=account_id)
    await maintenance.erase_account_data(session, account_id=account_id)
    await support.erase_account_data(session, account_id=account_id)
    await garage.erase_account_data(session, account_id=account_id)
    await notifications.erase_account_data(
        session, account_id=account_id, addresses=[account.email]
    )
    await payments.erase_account_data(session, account_id=account_id)
    await subscriptions.erase_account_data(session, account_id=account_id, pseudonym=pseudonym)
    await invoices.erase_account_data(session, account_id=account_id, pseudonym=pseudonym)
    kept_name = audit.pseudonym_of(pseudonym)
    await safety.erase_account_data(session, account_id=account_id, pseudonym=kept_name)
    await audit.pseudonymise(
        session, account_id=str(account_id), identifiers=named_by, pseudonym=kept_name
    )
    await jobs.forget_finished(session, named_by)
    await export.forget_account(session, runtime, account_id)  # the zips in the data dir too
    await accounts.delete_account(session, runtime, account)
