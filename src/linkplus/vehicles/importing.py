"""Reading the factory feed: a CSV file with one produced vehicle per line.

Pure: the caller reads the file and supplies today's date and the catalogue. Every line is checked
before anything is stored, and every problem of every line is reported, so the factory can fix the
whole file in one go; the service stores nothing unless all lines are good.

Columns (header names are case-insensitive, in any order; comma-separated, UTF-8 with or without
a byte-order mark; blank lines are skipped):

- required: ``vin``, ``model_code``, ``model_year``, ``market`` (ISO 3166 alpha-2 country the car
  was built for), ``telematics_unit`` (``true`` or ``false``)
- optional: ``multimedia`` (``mm21`` or ``mm18``; default: the newest its model is built with),
  ``first_delivery_date`` (YYYY-MM-DD; empty while only ordered), ``registration_plate``,
  ``head_unit_public_key`` (the head unit's Ed25519 key: base64url of the raw 32 bytes),
  ``odometer_km``

An optional value left empty means "not in this feed": a re-import never erases what the
registry already knows.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

import pycountry

from linkplus.kit.vin import InvalidVin, normalize_vin
from linkplus.vehicles.catalogue import Catalogue, Multimedia, VehicleModel
from linkplus.vehicles.pairing import MalformedPublicKey, load_public_key, public_key_text

REQUIRED_COLUMNS = ("vin", "model_code", "model_year", "market", "telematics_unit")
OPTIONAL_COLUMNS = (
    "multimedia",
    "first_delivery_date",
    "registration_plate",
    "head_unit_public_key",
    "odometer_km",
)
FIRST_MODEL_YEAR = 1990
MAX_ODOMETER_KM = 2_000_000
MAX_PLATE_LENGTH = 16
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_PLATE_SEPARATORS = re.compile(r"[\s-]+")


class FeedFormatError(ValueError):
    """The file as a whole cannot be read (no header, a required column missing, not UTF-8)."""


@dataclass(frozen=True)
class FeedRow:
    """One good line. Optional values are None when the line leaves them empty."""

    line: int
    vin: str
    model_code: str
    model_year: int
    market: str
    multimedia: Multimedia | None
    first_delivery_date: date | None
    registration_plate: str | None
    telematics_unit: bool
    head_unit_public_key: str | None
    odometer_km: int | None


@dataclass(frozen=True)
class RejectedRow:
    line: int
    vin: str  # as written in the file, for the report
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class ParsedFeed:
    rows: list[FeedRow]
    rejected: list[RejectedRow]


@dataclass(frozen=True)
class ImportReport:
    """What an import did. When anything was rejected, nothing was stored."""

    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: list[RejectedRow]

    @property
    def imported(self) -> bool:
        return not self.rejected


def normalize_plate(plate: str) -> str:
    """The key plates are compared by, so "M-LX 2024" and "mlx2024" find the same car."""
    return _PLATE_SEPARATORS.sub("", plate).upper()


def _header(names: list[str]) -> list[str]:
    header = [name.strip().lower() for name in names]
    expected = ", ".join(REQUIRED_COLUMNS)
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        listed = ", ".join(f"'{column}'" for column in missing)
        raise FeedFormatError(
            f"The file has no {listed} column{'s' if len(missing) > 1 else ''}. "
            f"The first line must name the columns; required: {expected}."
        )
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    unknown = [name for name in header if name not in known]
    if unknown:
        raise FeedFormatError(
            f"The file has an unknown column '{unknown[0]}'. Known columns: {expected}, "
            + ", ".join(OPTIONAL_COLUMNS)
            + "."
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise FeedFormatError(f"The column '{repeated[0]}' appears more than once.")
    return header


class _Line:
    """Checks one line's values, collecting every problem instead of stopping at the first."""

    def __init__(self, values: dict[str, str], *, catalogue: Catalogue, today: date) -> None:
        self.values = values
        self.catalogue = catalogue
        self.today = today
        self.reasons: list[str] = []

    def text(self, column: str) -> str:
        return self.values.get(column, "").strip()

    def vin(self) -> str | None:
        raw = self.text("vin")
        try:
            return normalize_vin(raw)
        except InvalidVin as exc:
            self.reasons.append(f"bad VIN {raw!r}: {exc.reason}")
            return None

    def model(self) -> VehicleModel | None:
        code = self.text("model_code").upper()
        if not code:
            self.reasons.append("model_code is empty")
            return None
        model = self.catalogue.get(code)
        if model is None:
            self.reasons.append(f"unknown model {code!r}")
        return model

    def model_year(self) -> int | None:
        raw = self.text("model_year")
        last = self.today.year + 1
        if not raw.isascii() or not raw.isdigit():
            self.reasons.append(f"bad model_year {raw!r}: use four digits such as {last - 1}")
            return None
        year = int(raw)
        if not FIRST_MODEL_YEAR <= year <= last:
            self.reasons.append(f"model_year {year} is outside {FIRST_MODEL_YEAR}-{last}")
            return None
        return year

    def market(self, model: VehicleModel | None) -> str | None:
        market = self.text("market").upper()
        if len(market) != 2 or pycountry.countries.get(alpha_2=market) is None:
            self.reasons.append(
                f"unknown market {self.text('market')!r}: use a two-letter country code such as DE"
            )
            return None
        if model is not None and market not in model.markets:
            sold_in = ", ".join(sorted(model.markets))
            self.reasons.append(
                f"model {model.code} is not sold in {market} (it is sold in: {sold_in})"
            )
        return market

    def multimedia(self, model: VehicleModel | None) -> Multimedia | None:
        raw = self.text("multimedia").lower()
        if not raw:
            return None
        try:
            multimedia = Multimedia(raw)
        except ValueError:
            choices = ", ".join(m.value for m in Multimedia)
            self.reasons.append(f"unknown multimedia {raw!r}: use one of {choices}")
            return None
        if model is not None and multimedia not in model.multimedia:
            self.reasons.append(f"model {model.code} is not built with multimedia {raw}")
        return multimedia

    def first_delivery_date(self) -> date | None:
        raw = self.text("first_delivery_date")
        if not raw:
            return None
        try:
            if not _ISO_DATE.fullmatch(raw):
                raise ValueError(raw)
            delivered = date.fromisoformat(raw)
        except ValueError:
            self.reasons.append(f"bad first_delivery_date {raw!r}: use YYYY-MM-DD")
            return None
        if delivered > self.today:
            self.reasons.append(f"first_delivery_date {raw} is in the future")
        return delivered

    def registration_plate(self) -> str | None:
        plate = " ".join(self.text("registration_plate").split())
        if not plate:
            return None
        key = normalize_plate(plate)
        if len(plate) > MAX_PLATE_LENGTH or not key or not all(ch.isalnum() for ch in key):
            self.reasons.append(
                f"bad registration_plate {plate!r}: letters, digits, spaces and dashes only, "
                f"at most {MAX_PLATE_LENGTH} characters"
            )
            return None
        return plate

    def telematics_unit(self) -> bool:
        raw = self.text("telematics_unit").lower()
        if raw not in {"true", "false"}:
            self.reasons.append(f"bad telematics_unit {raw!r}: use true or false")
        return raw == "true"

    def head_unit_public_key(self) -> str | None:
        raw = self.text("head_unit_public_key")
        if not raw:
            return None
        try:
            return public_key_text(load_public_key(raw))  # one spelling: unpadded base64url
        except MalformedPublicKey as exc:
            self.reasons.append(f"bad head_unit_public_key: {exc}")
            return None

    def odometer_km(self) -> int | None:
        raw = self.text("odometer_km")
        if not raw:
            return None
        if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_ODOMETER_KM:
            self.reasons.append(
                f"bad odometer_km {raw!r}: a whole number of kilometres, 0-{MAX_ODOMETER_KM}"
            )
            return None
        return int(raw)


def _check(
    line: int,
    values: dict[str, str],
    *,
    catalogue: Catalogue,
    today: date,
    first_line_of: dict[str, int],
) -> FeedRow | RejectedRow:
    check = _Line(values, catalogue=catalogue, today=today)
    vin = check.vin()
    if vin is not None:
        first = first_line_of.setdefault(vin, line)
        if first != line:
            check.reasons.append(f"VIN {vin} is already on line {first}")
    model = check.model()
    model_year = check.model_year()
    market = check.market(model)
    multimedia = check.multimedia(model)
    first_delivery_date = check.first_delivery_date()
    registration_plate = check.registration_plate()
    telematics_unit = check.telematics_unit()
    head_unit_public_key = check.head_unit_public_key()
    odometer_km = check.odometer_km()
    if check.reasons or vin is None or model is None or model_year is None or market is None:
        return RejectedRow(line=line, vin=check.text("vin"), reasons=tuple(check.reasons))
    return FeedRow(
        line=line,
        vin=vin,
        model_code=model.code,
        model_year=model_year,
        market=market,
        multimedia=multimedia,
        first_delivery_date=first_delivery_date,
        registration_plate=registration_plate,
        telematics_unit=telematics_unit,
        head_unit_public_key=head_unit_public_key,
        odometer_km=odometer_km,
    )


def read_feed(text: str, *, catalogue: Catalogue, today: date) -> ParsedFeed:
    """Check every line of a feed. Raises FeedFormatError when the file as a whole is unusable."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header: list[str] | None = None
    rows: list[FeedRow] = []
    rejected: list[RejectedRow] = []
    first_line_of: dict[str, int] = {}
    try:
        for record in reader:
            if not any(value.strip() for value in record):
                continue
            if header is None:
                header = _header(record)
                continue
            line = reader.line_num
            if len(record) != len(header):
                reason = (
                    f"the line has {len(record)} values but the header names {len(header)} columns"
                )
                rejected.append(RejectedRow(line=line, vin=record[0].strip(), reasons=(reason,)))
                continue
            checked = _check(
                line,
                dict(zip(header, record, strict=True)),
                catalogue=catalogue,
                today=today,
                first_line_of=first_line_of,
            )
            if isinstance(checked, FeedRow):
                rows.append(checked)
            else:
                rejected.append(checked)
    except csv.Error as exc:
        raise FeedFormatError(f"Line {reader.line_num} cannot be read as CSV: {exc}") from exc
    if header is None:
        expected = ", ".join(REQUIRED_COLUMNS)
        raise FeedFormatError(
            f"The file is empty. The first line must name the columns: {expected}."
        )
    return ParsedFeed(rows=rows, rejected=rejected)
