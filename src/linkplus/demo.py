"""Everything ``linkplus demo`` puts in place before it serves: the demo owner (and, as the
vehicle issues land, their cars and the simulated fleet)."""

from __future__ import annotations

from rich.console import Console

from linkplus.accounts import service as accounts
from linkplus.app import build_runtime
from linkplus.config import Settings

console = Console(stderr=True)


async def prepare_demo(settings: Settings, *, email: str, password: str, simulate: bool) -> None:
    runtime = build_runtime(settings)
    try:
        async with runtime.db.transaction() as session:
            created = await accounts.ensure_demo_owner(
                session,
                runtime,
                email=email,
                password=password,
                first_name="Demo",
                last_name="Owner",
                country="DE",
                language="en",
            )
        console.print(
            f"Demo owner {email} {'created' if created else 'already present'} (e-mail confirmed)."
        )
        if simulate:
            console.print(
                "The demo owner has no cars yet: the vehicle simulator is not part of this build."
            )
    finally:
        await runtime.db.dispose()
