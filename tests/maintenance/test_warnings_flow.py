"""A warning light and its trouble code, end to end: the simulated car raises them over the real
MQTT broker, the gateway stores them, the maintenance job opens the warnings and tells the owner
(inbox and a real SMTP server), the health API explains them; the workshop repairs the car, the
car's next status clears them; the monthly PDF lists them."""

from __future__ import annotations

from linkplus.maintenance import service
from linkplus.models.maintenance import WarningSource
from tests.invoices.support import pdf_text
from tests.maintenance.support import inbox, stored_warnings
from tests.remote_e2e.support import RemoteLink
from tests.support import Mailbox


async def test_a_warning_light_raised_and_cleared(mlink: RemoteLink, mailbox: Mailbox) -> None:
    car = mlink.cars["car"]
    await mlink.settle()
    assert await stored_warnings(mlink.runtime, car.vin) == []  # parked with nothing lit

    await mlink.advance(minutes=5)  # later than the parked status the car sent at the start
    raised_at = mlink.clock.now()
    car.unit.fault("engine", ("P0301",), raised_at)
    await mlink.settle()

    found = await stored_warnings(mlink.runtime, car.vin)
    assert [(w.source, w.code, w.raised_at, w.cleared_at) for w in found] == [
        (WarningSource.code.value, "P0301", raised_at, None),
        (WarningSource.light.value, "engine", raised_at, None),
    ]
    told = await inbox(mlink, "car", "vehicle_warning")
    assert len(told) == 1
    assert told[0].title.startswith("Engine warning: your Lexus NX 450h+")
    assert "Misfire in cylinder 1" in told[0].body
    assert "Book a workshop visit" in told[0].body
    assert told[0].link is not None
    assert told[0].link.endswith(f"/vehicle/{car.vin}/health")
    mail = mailbox.last_to(car.owner.account.email)
    assert "Misfire in cylinder 1" in Mailbox.text(mail)

    report = await mlink.get("car", "health")
    assert report["overall"] == "soon"
    assert [w["code"] for w in report["warnings"]] == ["engine"]
    assert report["warnings"][0]["severity"] == "soon"
    assert [c["code"] for c in report["trouble_codes"]] == ["P0301"]
    assert report["oil"]["level"] == "NORMAL"
    assert report["battery"]["judgement"] == "ok"
    assert len(report["tyres"]) == 4
    assert report["odometer_km"] == round(car.state.odometer_km, 1)

    # The same report taken in again (a redelivered job) changes nothing and tells nobody.
    async with mlink.runtime.db.transaction() as session:
        again = await service.take_health(session, mlink.runtime, vin=car.vin)
    assert (again.raised, again.cleared) == ([], [])
    assert len(await inbox(mlink, "car", "vehicle_warning")) == 1

    await mlink.advance(hours=26)
    repaired_at = mlink.clock.now()
    car.unit.repaired(repaired_at)
    await mlink.settle()

    cleared = await stored_warnings(mlink.runtime, car.vin)
    assert [w.cleared_at for w in cleared] == [repaired_at, repaired_at]
    report = await mlink.get("car", "health")
    assert report["warnings"] == []
    assert report["trouble_codes"] == []
    assert report["overall"] is None
    assert len(await inbox(mlink, "car", "vehicle_warning")) == 1  # going out is not news

    pdf = await mlink.client.get(
        f"/api/v1/vehicles/{car.vin}/health/report.pdf",
        params={"month": "2026-11"},
        headers=await mlink.headers("car"),
    )
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    assert "Engine warning (engine): on 2026-11-21 09:05 UTC, off 2026-11-22 11:05 UTC" in text
    assert "Misfire in cylinder 1 (P0301)" in text


async def test_the_health_report_is_the_primary_accounts_only(mlink: RemoteLink) -> None:
    car = mlink.cars["car"]
    stranger = await mlink.client.get(
        f"/api/v1/vehicles/{car.vin}/health",
        headers=await mlink.headers("car") | {"Authorization": "Bearer nonsense"},
    )
    assert stranger.status_code == 401
    before = await mlink.client.get(
        f"/api/v1/vehicles/{car.vin}/health/report.pdf",
        params={"month": "2019-05"},
        headers=await mlink.headers("car"),
    )
    assert before.status_code == 404
    assert before.json()["code"] == "health_report_month_not_found"
    wrong = await mlink.client.get(
        f"/api/v1/vehicles/{car.vin}/health/report.pdf",
        params={"month": "2026-13"},
        headers=await mlink.headers("car"),
    )
    assert wrong.status_code == 422
