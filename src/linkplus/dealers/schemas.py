"""Request and response bodies of the dealers API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from linkplus.dealers.directory import Dealer, DealerHit


class DealerOut(BaseModel):
    id: str
    name: str
    address: str
    city: str
    country: str
    lat: float
    lon: float
    phone: str
    email: str
    distance_km: float | None = None

    @classmethod
    def of(cls, dealer: Dealer, *, distance_km: float | None = None) -> DealerOut:
        return cls(
            id=dealer.id,
            name=dealer.name,
            address=dealer.address,
            city=dealer.city,
            country=dealer.country,
            lat=dealer.lat,
            lon=dealer.lon,
            phone=dealer.phone,
            email=dealer.email,
            distance_km=round(distance_km, 1) if distance_km is not None else None,
        )

    @classmethod
    def of_hit(cls, hit: DealerHit) -> DealerOut:
        return cls.of(hit.dealer, distance_km=hit.distance_km)


class DealerQuery(BaseModel):
    """Search parameters: any combination; ``lat`` and ``lon`` go together."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    limit: int = Field(default=20, ge=1, le=100)

    @model_validator(mode="after")
    def _position_is_complete(self) -> DealerQuery:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon to search near a position, or neither")
        return self

    @property
    def near(self) -> tuple[float, float] | None:
        if self.lat is None or self.lon is None:
            return None
        return (self.lat, self.lon)


class DealerList(BaseModel):
    items: list[DealerOut]


class PreferredDealerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dealer_id: str = Field(min_length=1, max_length=32)


class PreferredDealerOut(BaseModel):
    """``dealer`` is null until the owner chooses one."""

    dealer: DealerOut | None
