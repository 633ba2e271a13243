"""Constrained field types shared by the models: what the implementation guides allow."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo

# Printable ASCII without the delimiters we write with (* : ^ ~). Text from service logs is
# transliterated at ingest; a model never holds a character that could corrupt an interchange.
X12_TEXT_PATTERN = r"^[ -)+-9;-\]_-}]*$"


def Text(max_length: int, min_length: int = 1):  # noqa: N802 - reads like a type
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length, pattern=X12_TEXT_PATTERN,
                                            strip_whitespace=True)]


# Validation context of a lenient read (``Reader837P(lenient=True)``): a few rules of ours that
# files from others break (NPI check digit, NUCC taxonomy shape, CLM01 <= 20, ...) are then
# accepted and named in ``Claim.deviations`` instead; the 837P writer refuses such a claim.
LENIENT_CONTEXT = {"lenient": True}


def is_lenient(info: ValidationInfo | None) -> bool:
    """True when validating with ``context=LENIENT_CONTEXT``."""
    context = info.context if info is not None else None
    return bool(context and context.get("lenient"))


def npi_check_digit_ok(npi: str) -> bool:
    """NPI check digit: Luhn over the 80840 prefix plus the first nine digits."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    digits = "80840" + npi[:9]
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # rightmost digit of the payload is doubled (check digit is not in the payload)
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def _npi(value: str, info: ValidationInfo) -> str:
    if not npi_check_digit_ok(value) and not is_lenient(info):
        raise ValueError("NPI must be 10 digits with a valid Luhn check digit (80840 prefix)")
    return value


NPI = Annotated[str, StringConstraints(pattern=r"^[0-9]{10}$"), AfterValidator(_npi)]
TaxId = Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]
NUCC_TAXONOMY_PATTERN = r"^[0-9]{3}[0-9A-Z]{6}X$"
Taxonomy = Annotated[str, StringConstraints(pattern=NUCC_TAXONOMY_PATTERN)]
StateCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
ZipCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}([0-9]{4})?$")]
Phone = Annotated[str, StringConstraints(pattern=r"^[0-9]{10}$")]
ProcedureCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{5}$")]
Modifier = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2}$")]
# ICD-10-CM without the dot, as HI carries it: letter, digit, alnum, then up to 4 alnum.
ICD10_PATTERN = r"^[A-TV-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$"
DiagnosisCode = Annotated[str, StringConstraints(pattern=ICD10_PATTERN)]
# ICD-9-CM without the dot (HI qualifier BK/BF, older claims): 3-5 digits, V + 2-4 digits, E + 3-4 digits.
ICD9_PATTERN = r"^([0-9]{3,5}|V[0-9]{2,4}|E[0-9]{3,4})$"
# Either code set; ``Claim`` checks each code against its ``diagnosis_code_qualifier``.
AnyDiagnosisCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{3,7}$")]
PlaceOfService = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]
Identifier = Text(80, 2)
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
SignedMoney = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3)]


_NUCC_TAXONOMY = re.compile(NUCC_TAXONOMY_PATTERN)


def _provider_taxonomy(value: str, info: ValidationInfo) -> str:
    if not _NUCC_TAXONOMY.match(value) and not is_lenient(info):
        raise ValueError("a provider taxonomy code (NUCC) is 3 digits, 6 digits or capital letters, then X")
    return value


# PRV03 on a claim. Strictly a NUCC code; a lenient read also takes any 10 letters or digits
# (the TR3's own examples use made-up codes such as 203BF0100Y).
ProviderTaxonomy = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{10}$"), AfterValidator(_provider_taxonomy)]
