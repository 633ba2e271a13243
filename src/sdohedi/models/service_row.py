"""One row of an NLE service log: one service delivered. ``schemas/service_row.schema.json`` is
generated from this model and kept in sync by a test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _split(sep: str):
    def split(v):
        if v is None:
            return ()
        if isinstance(v, str):
            return tuple(p.strip().upper() for p in v.split(sep) if p.strip())
        if isinstance(v, (list, tuple)):
            return tuple(str(p).strip().upper() for p in v)
        # a JSON number or object: a finding, not a TypeError out of the model
        raise ValueError(f"must be {sep}-separated text or a list of codes")
    return BeforeValidator(split)


def _blank_to_none(v):
    return None if isinstance(v, str) and not v.strip() else v


Optional = BeforeValidator(_blank_to_none)


class ServiceRecord(BaseModel):
    """A service-log row after type checks (code-set and business rules come later, in ingest)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)

    service_id: str = Field(min_length=1, max_length=30, description="Unique id of the service; becomes REF*6R")
    member_id: str = Field(min_length=2, max_length=80)
    member_last_name: str = Field(min_length=1, max_length=60)
    member_first_name: Annotated[str | None, Optional] = Field(default=None, max_length=35)
    member_birth_date: dt.date
    member_sex: Literal["M", "F", "U"]
    member_address: str = Field(min_length=1, max_length=55)
    member_city: str = Field(min_length=2, max_length=30)
    member_state: str = Field(pattern=r"^[A-Z]{2}$")
    member_zip: str = Field(pattern=r"^[0-9]{5}([0-9]{4})?$")
    payer: str = Field(min_length=1, description="key of [payers.<key>] in the config")
    cbo: str = Field(min_length=1, description="key of [cbos.<key>] in the config")
    service_date: dt.date
    procedure_code: str = Field(pattern=r"^[A-Z0-9]{5}$")
    modifiers: Annotated[tuple[Annotated[str, Field(pattern=r"^[A-Z0-9]{2}$")], ...], _split(":")] = Field(
        default=(), max_length=4, description="colon-separated, e.g. U6:95")
    units: Annotated[Decimal | None, Optional] = Field(default=None, max_digits=15, decimal_places=3)
    minutes: Annotated[int | None, Optional] = None
    diagnosis_codes: Annotated[tuple[Annotated[str, Field(pattern=r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")], ...],
                               _split(";")] = Field(min_length=1, description="semicolon-separated; first is principal")
    place_of_service: str = Field(pattern=r"^[0-9]{2}$")
    charge: Annotated[Decimal | None, Optional] = Field(default=None, max_digits=18, decimal_places=2)
    prior_auth: Annotated[str | None, Optional] = Field(default=None, max_length=50)
    # Where a transport service (a code flagged ``transport``) picked the member up and dropped
    # them off: required for those codes (2310E/2310F), not sent for any other.
    pickup_address: Annotated[str | None, Optional] = Field(default=None, max_length=55,
                                                            description="required for transport codes (2310E N3)")
    pickup_city: Annotated[str | None, Optional] = Field(default=None, min_length=2, max_length=30)
    pickup_state: Annotated[str | None, Optional] = Field(default=None, pattern=r"^[A-Z]{2}$")
    pickup_zip: Annotated[str | None, Optional] = Field(default=None, pattern=r"^[0-9]{5}([0-9]{4})?$")
    dropoff_address: Annotated[str | None, Optional] = Field(default=None, max_length=55,
                                                             description="required for transport codes (2310F N3)")
    dropoff_city: Annotated[str | None, Optional] = Field(default=None, min_length=2, max_length=30)
    dropoff_state: Annotated[str | None, Optional] = Field(default=None, pattern=r"^[A-Z]{2}$")
    dropoff_zip: Annotated[str | None, Optional] = Field(default=None, pattern=r"^[0-9]{5}([0-9]{4})?$")


COLUMNS = tuple(ServiceRecord.model_fields)
TRIP_COLUMNS = COLUMNS[COLUMNS.index("pickup_address"):COLUMNS.index("dropoff_zip") + 1]


def json_schema() -> dict:
    return ServiceRecord.model_json_schema()
