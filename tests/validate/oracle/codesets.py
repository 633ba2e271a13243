"""Code-set checks that the implementation-guide maps cannot express.

- NPI: Luhn check digit over the 80840 prefix, wherever an XX-qualified id appears.
- Provider taxonomy (PRV03 with PRV02 = PXC): NUCC format, 9 characters then 'X'.
- ICD-10-CM (HI qualifiers ABK/ABF/...): format; for Z55-Z65 (the SDOH codes we carry dates
  for) also billable on the date of service. Other codes: format only.
- ICD-9-CM (BK/BF, still in old test files): format only.
- Procedure codes and modifiers (SV101): against the core code set, as warnings, since a
  payer may cover more than the core set.
"""

from __future__ import annotations

import datetime as dt
import re

from sdohedi.codes import CodeSet
from sdohedi.models.fields import npi_check_digit_ok

TAXONOMY = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")
# ICD-10-CM without the dot: a letter, a digit, a letter or digit, then up to four more.
ICD10 = re.compile(r"[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}")
ICD9 = re.compile(r"(?:[0-9]{3}[0-9]{0,2}|V[0-9]{2}[0-9]{0,2}|E[0-9]{3}[0-9]?)")
ICD10_QUALIFIERS = frozenset({"ABK", "ABF", "ABJ", "APR", "ABN", "BBR", "BBQ"})
ICD9_QUALIFIERS = frozenset({"BK", "BF", "BJ", "PR", "BN", "BR", "BQ"})
SDOH_RANGE = ("Z55", "Z66")  # Z55.0 .. Z65.9: the range our code tables date


def npi_problem(npi: str) -> str | None:
    if npi_check_digit_ok(npi):
        return None
    if len(npi) != 10 or not npi.isdigit():
        return "an NPI must be 10 digits"
    return "the NPI's check digit is wrong (Luhn over the 80840 prefix); check the NPI with the provider or NPPES"


def taxonomy_problem(code: str) -> str | None:
    if TAXONOMY.fullmatch(code):
        return None
    return "a provider taxonomy code is 10 characters: 3 digits, 6 digits or capital letters, then 'X'"


def is_sdoh_z_code(code: str) -> bool:
    return SDOH_RANGE[0] <= code[:3] < SDOH_RANGE[1]


def diagnosis_format_problem(qualifier: str, code: str) -> tuple[str, str] | None:
    """(rule, message) when the code does not look like its code system; None otherwise."""
    if qualifier in ICD10_QUALIFIERS:
        if "." in code:
            return "icd10-format", "ICD-10-CM codes are sent without the decimal point"
        if not ICD10.fullmatch(code):
            return "icd10-format", "not an ICD-10-CM code (a letter, a digit, then 1 to 5 letters or digits)"
    elif qualifier in ICD9_QUALIFIERS:
        if not ICD9.fullmatch(code):
            return "icd9-format", "not an ICD-9-CM code"
    return None


def diagnosis_date_problem(codes: CodeSet, code: str, days: list[dt.date]) -> str | None:
    """For SDOH Z codes: not billable on one of the claim's dates of service."""
    if not is_sdoh_z_code(code):
        return None
    for day in sorted(set(days)):
        problem = codes.diagnosis_problem(code, day)
        if problem:
            return problem + " (on one of the claim's dates of service)"
    return None


def parse_date(value: str) -> dt.date | None:
    """CCYYMMDD, or the start of CCYYMMDD-CCYYMMDD."""
    v = value[:8]
    if len(v) != 8 or not v.isdigit():
        return None
    try:
        return dt.date(int(v[:4]), int(v[4:6]), int(v[6:8]))
    except ValueError:
        return None
