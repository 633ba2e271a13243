"""The NLE configuration file (TOML), validated by pydantic. ``schemas/config.schema.json``
is generated from these models (see ``sdohedi.models.config.json_schema``)."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator,
)

from .claim import Address
from .fields import NPI, Phone, TaxId, Taxonomy, Text
from .service_row import COLUMNS, ServiceRecord

UnitRounding = Literal["cpt_midpoint", "first_unit_any", "round_up", "round_down"]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InterchangeConfig(_Config):
    sender_id: Text(15, 2)
    sender_qualifier: Literal["01", "14", "20", "27", "28", "29", "30", "33", "ZZ"] = "ZZ"
    usage: Literal["T", "P"] = "T"
    submitter_name: Text(60)
    submitter_id: Text(80, 2) | None = None  # 1000A NM109; defaults to sender_id
    contact_name: Text(60) | None = None
    phone: Phone | None = None
    email: Text(80) | None = None
    claim_id_prefix: str = Field(default="S", pattern=r"^[A-Z0-9]{0,6}$")
    grouping: Literal["month", "day"] = "month"
    max_lines_per_claim: int = Field(default=50, ge=1, le=50)
    text_policy: Literal["transliterate", "refuse"] = "transliterate"
    transaction_type: Literal["CH", "RP"] = "CH"

    @model_validator(mode="after")
    def _contact(self) -> "InterchangeConfig":
        if not (self.phone or self.email):
            raise ValueError("give phone or email: the 837P submitter contact (1000A PER) needs one")
        return self


class BillingProviderConfig(_Config):
    name: Text(60)
    npi: NPI | None = None
    tax_id: TaxId
    taxonomy: Taxonomy | None = None
    address: Address


class PayerConfig(_Config):
    name: Text(60)
    payer_id: Text(80, 2)
    receiver_id: Text(15, 2)
    receiver_qualifier: Literal["01", "14", "20", "27", "28", "29", "30", "33", "ZZ"] = "ZZ"
    receiver_name: Text(60) | None = None
    claim_filing_indicator: Literal["11", "16", "CI", "HM", "MA", "MB", "MC", "ZZ"] = "MC"
    billing_provider_id: Text(50) | None = None  # payer-assigned id of the NLE (2010BB REF*G2) when it has no NPI
    fee_schedule: dict[str, Decimal] = Field(default_factory=dict)
    unit_rounding: UnitRounding = "cpt_midpoint"
    admin_fee_percent: Decimal = Field(default=Decimal(0), ge=0, le=100)
    covered_codes: list[str] | None = None  # restricts the core code set for this payer
    extra_modifiers: dict[str, list[str]] = Field(default_factory=dict)
    # procedure codes this payer pays only under a prior authorization (REF*G1): a row of one that
    # gives no prior_auth, and that no authorization of ``encode --authorizations`` covers, is rejected
    authorization_required: list[Annotated[str, Field(pattern=r"^[A-Z0-9]{5}$")]] = Field(default_factory=list)
    # "encounter": the payer is paid by capitation and wants the services reported (BHT06 = RP),
    # priced as usual; reconcile takes its $0 lines as accepted, not denied
    submission: Literal["claim", "encounter"] = "claim"
    # a row whose service date is more than this many days before the run date is rejected
    timely_filing_days: int | None = Field(default=None, ge=1)

    @field_validator("fee_schedule")
    @classmethod
    def _fees(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        for key, price in v.items():
            parts = key.split(":")
            if not (len(parts[0]) == 5 and parts[0].isalnum() and all(len(m) == 2 and m.isalnum() for m in parts[1:])):
                raise ValueError(f"fee schedule key {key!r} must be CODE or CODE:MOD[:MOD...]")
            if price < 0:
                raise ValueError(f"fee for {key} must not be negative")
        return {k.upper(): p for k, p in v.items()}


class CBOConfig(_Config):
    name: Text(60)
    tax_id: TaxId | None = None
    npi: NPI | None = None
    atypical_id: Text(50) | None = None  # payer-assigned id sent as 2310B REF*G2
    taxonomy: Taxonomy
    address: Address | None = None

    @model_validator(mode="after")
    def _ids(self) -> "CBOConfig":
        if not (self.npi or self.atypical_id):
            raise ValueError("a CBO needs an npi or an atypical_id (payer-assigned)")
        return self


# The service-log fields a [log] mapping may name, and those read with its ``date_format``.
LOG_FIELDS = COLUMNS
LOG_DATE_FIELDS = tuple(n for n, f in ServiceRecord.model_fields.items() if f.annotation is dt.date)


class LogConfig(_Config):
    """How another platform's export reads as a service log: ``columns`` maps a service-log field
    to the export's column (matched without regard to case or surrounding spaces); a field not
    mapped reads the column of its own name. ``date_format`` (strptime) reads every date column."""

    # any text a header may hold (not X12 text: the names never go into a file we write)
    columns: dict[str, Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]] = (
        Field(default_factory=dict))
    date_format: str | None = Field(default=None, min_length=2, max_length=40)

    @field_validator("columns")
    @classmethod
    def _columns(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = [k for k in v if k not in LOG_FIELDS]
        if unknown:
            raise ValueError(f"not service-log fields: {', '.join(unknown)} (fields: {', '.join(LOG_FIELDS)})")
        seen: dict[str, str] = {}
        for field, name in v.items():
            key = name.strip().casefold()
            if key in seen:
                raise ValueError(f"{seen[key]} and {field} are both mapped to the column {name!r}")
            seen[key] = field
        return v

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, v: str | None) -> str | None:
        if v is None:
            return v
        sample = dt.datetime(2026, 11, 23, 14, 5)  # a day > 12, so day and month cannot be confused
        try:
            back = dt.datetime.strptime(sample.strftime(v), v)
        except (ValueError, re.error):  # re.error: a directive given twice
            back = None
        if back is None or back.date() != sample.date():
            raise ValueError(f"{v!r} is not a strptime format that reads a date back (e.g. %m/%d/%Y)")
        return v


class NLEConfig(_Config):
    interchange: InterchangeConfig
    billing_provider: BillingProviderConfig
    payers: dict[str, PayerConfig] = Field(min_length=1)
    cbos: dict[str, CBOConfig] = Field(min_length=1)
    log: LogConfig | None = None  # another platform's export read as it is

    @model_validator(mode="after")
    def _atypical(self) -> "NLEConfig":
        if self.billing_provider.npi is None:
            missing = [k for k, p in self.payers.items() if not p.billing_provider_id]
            if missing:
                raise ValueError(f"billing_provider has no NPI, so payers {missing} need billing_provider_id")
        return self


class ConfigError(Exception):
    """The configuration cannot be used. ``problems`` lists (key path, rule) pairs."""

    def __init__(self, path: str, problems: list[tuple[str, str]]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  {loc}: {msg}" for loc, msg in problems)
        super().__init__(f"{path}: invalid configuration\n{lines}")


def load_config(path: str | Path) -> NLEConfig:
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(str(path), [("(file)", exc.strerror or str(exc))]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [("(syntax)", str(exc))]) from None
    try:
        return NLEConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [(".".join(str(p) for p in e["loc"]) or "(root)", e["msg"]) for e in exc.errors()]
        raise ConfigError(str(path), problems) from None


def json_schema() -> dict:
    return NLEConfig.model_json_schema()
