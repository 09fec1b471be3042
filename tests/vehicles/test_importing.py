"""Reading the factory feed (pure): every line checked, every problem reported."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from linkplus.vehicles.catalogue import Multimedia, catalogue
from linkplus.vehicles.importing import (
    FeedFormatError,
    FeedRow,
    ParsedFeed,
    normalize_plate,
    read_feed,
)
from linkplus.vehicles.pairing import public_key_text
from tests.vehicles.support import FEED_HEADER, european_vin, north_american_vin

TODAY = date(2026, 11, 21)
KEY = public_key_text(Ed25519PrivateKey.generate().public_key())


def read(*lines: str) -> ParsedFeed:
    return read_feed("\n".join(lines) + "\n", catalogue=catalogue(), today=TODAY)


def good_line(vin: str, **overrides: str) -> str:
    values = {
        "vin": vin,
        "model_code": "NX350H",
        "model_year": "2024",
        "market": "DE",
        "multimedia": "mm21",
        "first_delivery_date": "2024-03-01",
        "registration_plate": "M-LX 2024",
        "telematics_unit": "true",
        "head_unit_public_key": KEY,
        "odometer_km": "12",
    } | overrides
    return ",".join(values[column] for column in FEED_HEADER.split(","))


def test_a_good_line_becomes_a_row_with_every_value() -> None:
    vin = european_vin()
    feed = read(FEED_HEADER, good_line(vin))
    assert feed.rejected == []
    assert feed.rows == [
        FeedRow(
            line=2,
            vin=vin,
            model_code="NX350H",
            model_year=2024,
            market="DE",
            multimedia=Multimedia.mm21,
            first_delivery_date=date(2024, 3, 1),
            registration_plate="M-LX 2024",
            telematics_unit=True,
            head_unit_public_key=KEY,
            odometer_km=12,
        )
    ]


def test_values_are_normalized_and_optional_ones_may_be_empty() -> None:
    vin = north_american_vin()
    line = good_line(
        f"  {vin.lower()} ",
        model_code="rx450hp",
        market="gb",
        multimedia="",
        first_delivery_date="",
        registration_plate="",
        telematics_unit="FALSE",
        head_unit_public_key="",
        odometer_km="",
    )
    feed = read(FEED_HEADER, line)
    assert feed.rejected == []
    (row,) = feed.rows
    assert (row.vin, row.model_code, row.market) == (vin, "RX450HP", "GB")
    assert row.multimedia is None
    assert row.first_delivery_date is None
    assert row.registration_plate is None
    assert row.telematics_unit is False
    assert row.head_unit_public_key is None
    assert row.odometer_km is None


def test_only_the_required_columns_in_any_order_with_a_bom_and_blank_lines() -> None:
    vin = european_vin()
    text = (
        "\ufeffMarket, VIN ,model_code,telematics_unit,model_year\r\n"
        "\r\n"
        f"FR,{vin},UX300E,true,2025\r\n"
        ",,,,\r\n"
        "\r\n"
    )
    feed = read_feed(text, catalogue=catalogue(), today=TODAY)
    assert feed.rejected == []
    assert [(r.vin, r.market, r.model_code, r.line) for r in feed.rows] == [
        (vin, "FR", "UX300E", 3)
    ]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"vin": "JTHBA3BH40204935"}, "bad VIN 'JTHBA3BH40204935': A VIN has exactly 17"),
        ({"vin": "JTHBA3BH4O2049357"}, "never contain I, O or Q"),
        ({"vin": "1M8GDM9AXKP042789"}, "check digit"),
        ({"model_code": "LFA"}, "unknown model 'LFA'"),
        ({"model_code": ""}, "model_code is empty"),
        ({"model_code": "NX350", "market": "DE"}, "model NX350 is not sold in DE"),
        ({"market": "XX"}, "unknown market 'XX'"),
        ({"market": "Germany"}, "unknown market 'Germany'"),
        ({"model_year": "24"}, "model_year 24 is outside 1990-2027"),
        ({"model_year": "2028"}, "model_year 2028 is outside"),
        ({"model_year": "MMXXIV"}, "bad model_year 'MMXXIV'"),
        ({"multimedia": "mm30"}, "unknown multimedia 'mm30'"),
        ({"multimedia": "mm18"}, "model NX350H is not built with multimedia mm18"),
        ({"first_delivery_date": "01.03.2024"}, "bad first_delivery_date '01.03.2024'"),
        ({"first_delivery_date": "2024-02-30"}, "bad first_delivery_date '2024-02-30'"),
        ({"first_delivery_date": "20240301"}, "bad first_delivery_date"),
        ({"first_delivery_date": "2026-12-01"}, "first_delivery_date 2026-12-01 is in the future"),
        ({"telematics_unit": "yes"}, "bad telematics_unit 'yes': use true or false"),
        ({"telematics_unit": ""}, "bad telematics_unit ''"),
        ({"head_unit_public_key": "not*base64"}, "bad head_unit_public_key"),
        ({"head_unit_public_key": "AAAA"}, "must be 32 bytes"),
        ({"odometer_km": "-5"}, "bad odometer_km '-5'"),
        ({"odometer_km": "12.5"}, "bad odometer_km '12.5'"),
        ({"odometer_km": "9999999"}, "bad odometer_km"),
        ({"registration_plate": "M/LX 2024"}, "bad registration_plate 'M/LX 2024'"),
        ({"registration_plate": "ABCDEFGHJKLMNPRSTU"}, "at most 16 characters"),
    ],
)
def test_each_kind_of_bad_value_is_reported_with_its_line(
    overrides: dict[str, str], reason: str
) -> None:
    values = dict(overrides)
    bad = good_line(values.pop("vin", european_vin()), **values)
    feed = read(FEED_HEADER, good_line(european_vin()), bad)
    assert len(feed.rows) == 1
    (rejected,) = feed.rejected
    assert rejected.line == 3
    assert reason in rejected.reason


def test_a_padded_head_unit_key_is_stored_in_its_one_spelling() -> None:
    feed = read(FEED_HEADER, good_line(european_vin(), head_unit_public_key=KEY + "="))
    assert [row.head_unit_public_key for row in feed.rows] == [KEY]


def test_every_problem_of_a_line_is_listed() -> None:
    feed = read(FEED_HEADER, good_line("SHORT", model_code="LFA", telematics_unit="maybe"))
    (rejected,) = feed.rejected
    assert rejected.vin == "SHORT"
    assert len(rejected.reasons) == 3
    assert "bad VIN" in rejected.reason
    assert "unknown model 'LFA'" in rejected.reason
    assert "bad telematics_unit" in rejected.reason


def test_a_vin_twice_in_the_file_rejects_the_later_lines() -> None:
    vin = european_vin()
    feed = read(FEED_HEADER, good_line(vin), good_line(european_vin()), good_line(vin.lower()))
    assert [row.line for row in feed.rows] == [2, 3]
    (rejected,) = feed.rejected
    assert (rejected.line, rejected.reason) == (4, f"VIN {vin} is already on line 2")


def test_a_line_with_the_wrong_number_of_values_is_rejected() -> None:
    vin = european_vin()
    feed = read(FEED_HEADER, good_line(vin) + ",extra")
    (rejected,) = feed.rejected
    assert rejected.vin == vin
    assert "11 values but the header names 10 columns" in rejected.reason


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("vin,model_code,model_year,telematics_unit", "The file has no 'market' column"),
        ("vin,model_year,telematics_unit", "no 'model_code', 'market' columns"),
        (FEED_HEADER + ",colour", "unknown column 'colour'"),
        (FEED_HEADER + ",VIN", "The column 'vin' appears more than once"),
    ],
)
def test_a_bad_header_makes_the_whole_file_unusable(header: str, message: str) -> None:
    with pytest.raises(FeedFormatError, match=message):
        read(header, good_line(european_vin()))


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n  \n"])
def test_an_empty_file_says_which_columns_it_needs(text: str) -> None:
    with pytest.raises(FeedFormatError, match=r"empty.*vin, model_code"):
        read_feed(text, catalogue=catalogue(), today=TODAY)


def test_plates_compare_without_spaces_dashes_or_case() -> None:
    assert normalize_plate("M-LX 2024") == normalize_plate("mlx2024") == "MLX2024"
    assert normalize_plate(" \t- ") == ""
