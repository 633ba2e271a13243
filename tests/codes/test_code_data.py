"""Structural checks for the code-set data files in schemas/codes/.

These tests do not depend on any library code: they load the JSON files
directly and check invariants (uniqueness, ordering, formats, date ranges)
plus the handful of date-of-service facts the domain brief calls out.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

CODES_DIR = Path(__file__).resolve().parents[2] / "schemas" / "codes"

ALL_FILES = [
    "procedures.json",
    "icd10cm_z.json",
    "place_of_service.json",
    "taxonomy.json",
    "carc.json",
    "rarc.json",
    "claim_status.json",
    "cas_groups.json",
    "plb_reasons.json",
]

# Files sorted by plain string order; the others use a "natural" order
# (letter prefix, then the number numerically: 1, 2, ... 305, A0, B1, ... P29).
STRING_SORTED = {"procedures.json", "icd10cm_z.json", "place_of_service.json", "taxonomy.json"}

UNITS = {"15min", "30min", "60min", "meal", "diem", "trip", "mile", "visit",
         "session", "month", "service", "encounter"}
UNIT_MINUTES = {"15min": 15, "30min": 30, "60min": 60}


def load(name: str) -> dict:
    with open(CODES_DIR / name, encoding="utf-8") as f:
        return json.load(f)


def parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), value
    return dt.date.fromisoformat(value)


def natural_key(code: str):
    m = re.match(r"^([A-Z]*)(\d*)(.*)$", code)
    prefix, num, rest = m.groups()
    return (prefix, int(num) if num else -1, rest)


def effective_on(entry: dict, day: dt.date) -> bool:
    start = parse_date(entry["effective_start"])
    end = parse_date(entry["effective_end"])
    return start <= day and (end is None or day <= end)


@pytest.fixture(scope="module")
def procedures() -> dict[str, dict]:
    return {c["code"]: c for c in load("procedures.json")["codes"]}


@pytest.fixture(scope="module")
def icd() -> dict[str, dict]:
    return {c["code"]: c for c in load("icd10cm_z.json")["codes"]}


def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


# --------------------------------------------------------------------------
# Generic invariants, every file
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL_FILES)
def test_file_is_canonical_json(name):
    """UTF-8, 2-space indent, trailing newline: re-serialising changes nothing."""
    text = (CODES_DIR / name).read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("name", ALL_FILES)
def test_codes_unique_sorted_and_described(name):
    data = load(name)
    assert isinstance(data.get("codes"), list) and data["codes"]
    codes = [c["code"] for c in data["codes"]]
    assert len(codes) == len(set(codes)), "duplicate codes"
    if name in STRING_SORTED:
        assert codes == sorted(codes)
    else:
        assert codes == sorted(codes, key=natural_key)
    for c in data["codes"]:
        assert isinstance(c["code"], str) and c["code"] == c["code"].strip() and c["code"]
        assert isinstance(c["description"], str) and c["description"].strip()
        assert c["description"] == c["description"].strip()
        assert "  " not in c["description"]


# --------------------------------------------------------------------------
# procedures.json
# --------------------------------------------------------------------------

PROCEDURE_FIELDS = {"code", "description", "unit", "unit_minutes", "time_based", "transport", "domain",
                    "allowed_modifiers", "effective_start", "effective_end"}
# the social-care domains health plans report spend by (Medical Loss Ratio); the dashboard groups by them
DOMAINS = {"food", "housing", "transportation", "case_management", "other"}


def test_procedures_version():
    assert load("procedures.json")["version"] == "2026-11"


def test_procedure_entries_well_formed(procedures):
    for code, p in procedures.items():
        assert set(p) == PROCEDURE_FIELDS, code
        # HCPCS level II (letter + 4 digits) or CPT (4 digits + digit/F/T/U)
        assert re.fullmatch(r"[A-V]\d{4}|\d{4}[0-9FTU]", code), code
        assert p["unit"] in UNITS, code
        assert p["unit_minutes"] == UNIT_MINUTES.get(p["unit"]), code
        assert p["time_based"] is (p["unit_minutes"] is not None), code
        assert p["transport"] in (True, False), code
        mods = p["allowed_modifiers"]
        assert mods and len(mods) == len(set(mods)), code
        assert mods == sorted(mods), code
        for m in mods:
            assert re.fullmatch(r"[0-9A-Z]{2}", m), (code, m)
        start = parse_date(p["effective_start"])
        end = parse_date(p["effective_end"])
        assert start is not None
        assert end is None or start <= end, code


BRIEF_PROCEDURES = """T1016 T1017 G0019 G0022 G0023 G0024 G0140 G0146 G0136 S5170 S9977
S9470 S9452 97802 97803 97804 98960 98961 98962 T2003 S0215 A0080 A0090 A0160 A0100
A0110 A0120 A0130 S5130 S5131 S5150 S5151 T1019 T1020 H0038 H0043 H0044 H2016 H2015
T2038 S5165 T2040 T2041 T2050 T2051 T2033 H0045 S9125 T2012 T2014 T2018 T2020 H2014
H2024 H2026 H2038 H2022 H0014 H0040""".split()

GENERAL_MODIFIERS = """U1 U2 U3 U4 U5 U6 U7 U8 U9 UA UB UC UD HN HO HM HF TF TG UB UC 95 93
GQ GT KX 59 XE XP XS XU TN SC HQ HE HI HK TT ET""".split()


# Ambulance and non-emergency transportation (DOMAIN.md section 1): the codes whose claims the
# TR3 gives pick-up and drop-off locations (2310E/2310F).
TRANSPORT_PROCEDURES = {"T2003", "S0215", "A0080", "A0090", "A0100", "A0110", "A0120", "A0130", "A0160"}


def test_transport_flag_marks_exactly_the_transport_codes(procedures):
    assert {code for code, p in procedures.items() if p["transport"]} == TRANSPORT_PROCEDURES
    # every one of them is described as transportation, and no other code is
    assert all(("transportation" in p["description"].lower()) == p["transport"] for p in procedures.values())


def test_every_procedure_has_a_domain(procedures):
    for code, p in procedures.items():
        assert p.get("domain") in DOMAINS, code
    # the transport flag and the domain say the same thing
    assert {code for code, p in procedures.items() if p["domain"] == "transportation"} == TRANSPORT_PROCEDURES
    # spot checks of the mapping against the codes' descriptors
    assert procedures["S5170"]["domain"] == "food"          # home delivered meals
    assert procedures["H0044"]["domain"] == "housing"       # supported housing, per month
    assert procedures["T1016"]["domain"] == "case_management"
    assert procedures["H0014"]["domain"] == "other"         # ambulatory detoxification


def test_every_brief_procedure_present(procedures):
    assert set(BRIEF_PROCEDURES) <= set(procedures)


def test_general_modifiers_on_every_procedure(procedures):
    for code, p in procedures.items():
        assert set(GENERAL_MODIFIERS) <= set(p["allowed_modifiers"]), code


@pytest.mark.parametrize("code,modifier", [
    ("T1016", "U8"), ("T1016", "GQ"), ("T1016", "HN"), ("T1016", "HO"), ("T1016", "HM"),
    ("S5170", "U6"), ("S9977", "U4"), ("S9977", "U5"), ("S9977", "U9"),
    ("S9452", "U5"), ("S9452", "U6"), ("97802", "95"), ("T2003", "UC"),
    ("S5130", "TF"), ("S5130", "TG"), ("S5150", "UB"), ("H0038", "HF"),
    ("H0044", "U2"), ("H0044", "U3"), ("H0040", "U1"), ("H2015", "U3"),
    ("T2038", "U4"), ("T2038", "U5"), ("S5165", "U5"), ("H0014", "U6"),
])
def test_brief_modifiers_allowed(procedures, code, modifier):
    assert modifier in procedures[code]["allowed_modifiers"]


@pytest.mark.parametrize("code,unit", [
    ("T1016", "15min"), ("G0019", "60min"), ("G0022", "30min"), ("G0023", "60min"),
    ("G0024", "30min"), ("G0140", "60min"), ("G0146", "30min"), ("S5170", "meal"),
    ("S9977", "diem"), ("S9470", "visit"), ("S9452", "session"), ("97802", "15min"),
    ("97803", "15min"), ("97804", "30min"), ("98960", "30min"), ("T2003", "trip"),
    ("S0215", "mile"), ("A0080", "mile"), ("A0100", "trip"), ("S5130", "15min"),
    ("S5131", "diem"), ("H0044", "month"), ("H2016", "diem"), ("T2038", "service"),
])
def test_brief_units(procedures, code, unit):
    assert procedures[code]["unit"] == unit


def test_g0136_ends_with_cy2025(procedures):
    g = procedures["G0136"]
    assert g["effective_end"] == "2025-12-31"
    assert effective_on(g, d("2025-06-15"))
    assert not effective_on(g, d("2026-01-01"))


@pytest.mark.parametrize("code", ["G0019", "G0022", "G0023", "G0024", "G0140", "G0146"])
def test_2024_g_codes_start(procedures, code):
    p = procedures[code]
    assert p["effective_start"] == "2024-01-01"
    assert not effective_on(p, d("2023-12-31"))
    assert effective_on(p, d("2024-01-01"))
    assert effective_on(p, d("2026-11-01"))


# --------------------------------------------------------------------------
# icd10cm_z.json
# --------------------------------------------------------------------------

ICD_FIELDS = {"code", "description", "billable", "effective_start", "effective_end"}
ICD_START = d("2015-10-01")


def test_icd_version():
    assert load("icd10cm_z.json")["version"] == "FY2026"


def test_icd_entries_well_formed(icd):
    for code, z in icd.items():
        assert set(z) == ICD_FIELDS, code
        assert re.fullmatch(r"Z\d{2}(\.[0-9A-Z]{1,4})?", code), code
        assert 55 <= int(code[1:3]) <= 65 and code[1:3] != "61", code
        assert z["billable"] is True, code
        start = parse_date(z["effective_start"])
        end = parse_date(z["effective_end"])
        assert start >= ICD_START, code
        assert end is None or start <= end, code
        # ICD-10-CM changes take effect 1 October (annual) or 1 April (mid-year)
        assert (start.month, start.day) in {(10, 1), (4, 1)}, code
        if end is not None:
            assert (end.month, end.day) in {(9, 30), (3, 31)}, code


def test_icd_parent_and_child_never_billable_together(icd):
    """A code stops being billable the day it gains children."""
    items = list(icd.values())
    for a in items:
        for b in items:
            if a is b:
                continue
            ka, kb = a["code"].replace(".", ""), b["code"].replace(".", "")
            if not kb.startswith(ka):
                continue
            a_start, a_end = parse_date(a["effective_start"]), parse_date(a["effective_end"])
            b_start, b_end = parse_date(b["effective_start"]), parse_date(b["effective_end"])
            overlap = (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)
            assert not overlap, (a["code"], b["code"])


@pytest.mark.parametrize("parent,children,last_day", [
    ("Z59.0", ["Z59.00", "Z59.01", "Z59.02"], "2021-09-30"),
    ("Z59.4", ["Z59.41", "Z59.48"], "2021-09-30"),
    ("Z59.8", ["Z59.811", "Z59.812", "Z59.819", "Z59.89"], "2021-09-30"),
    ("Z59.1", ["Z59.10", "Z59.11", "Z59.12", "Z59.19"], "2023-03-31"),
    ("Z59.86", ["Z59.861", "Z59.868", "Z59.869"], "2025-09-30"),
    ("Z59.7", ["Z59.71", "Z59.72"], "2025-09-30"),
])
def test_icd_expansions_switch_on_the_right_day(icd, parent, children, last_day):
    last = d(last_day)
    first = last + dt.timedelta(days=1)
    assert icd[parent]["effective_end"] == last_day
    assert effective_on(icd[parent], last)
    assert not effective_on(icd[parent], first)
    for child in children:
        assert icd[child]["effective_start"] == first.isoformat()
        assert not effective_on(icd[child], last), child
        assert effective_on(icd[child], first), child


def test_z59_86_window(icd):
    z = icd["Z59.86"]
    assert z["effective_start"] == "2022-10-01"
    assert not effective_on(z, d("2022-09-30"))
    assert effective_on(z, d("2025-09-30"))
    assert not effective_on(z, d("2025-10-01"))
    z861 = icd["Z59.861"]
    assert not effective_on(z861, d("2025-09-30"))
    assert effective_on(z861, d("2025-10-01"))


@pytest.mark.parametrize("code", ["Z59.82", "Z59.86", "Z59.87"])
def test_fy2023_codes(icd, code):
    assert icd[code]["effective_start"] == "2022-10-01"


@pytest.mark.parametrize("code", [
    "Z55.0", "Z55.9", "Z56.0", "Z57.9", "Z59.2", "Z59.3", "Z59.5", "Z59.6", "Z59.9",
    "Z60.2", "Z62.0", "Z63.0", "Z64.0", "Z65.9",
])
def test_original_codes_start_with_icd10(icd, code):
    assert icd[code]["effective_start"] == "2015-10-01"
    assert icd[code]["effective_end"] is None


@pytest.mark.parametrize("code", ["Z55.5", "Z55.6", "Z56.0", "Z58.6", "Z58.81", "Z58.89",
                                  "Z59.41", "Z59.48", "Z59.5", "Z59.6", "Z60.2"])
def test_brief_codes_currently_billable(icd, code):
    assert effective_on(icd[code], d("2026-11-01"))


def test_every_category_present(icd):
    categories = {code[:3] for code in icd}
    assert categories == {"Z55", "Z56", "Z57", "Z58", "Z59", "Z60", "Z62", "Z63", "Z64", "Z65"}


def test_at_least_one_housing_code_on_every_fy_boundary(icd):
    for day in ["2015-10-01", "2021-09-30", "2021-10-01", "2023-03-31", "2023-04-01",
                "2025-09-30", "2025-10-01", "2026-11-01"]:
        valid = [c for c, z in icd.items() if c.startswith("Z59") and effective_on(z, d(day))]
        assert valid, day


# --------------------------------------------------------------------------
# place_of_service.json, taxonomy.json
# --------------------------------------------------------------------------

def test_pos_format_and_brief_codes():
    codes = {c["code"]: c["description"] for c in load("place_of_service.json")["codes"]}
    for code in codes:
        assert re.fullmatch(r"\d{2}", code) and 1 <= int(code) <= 99, code
    assert {"02", "04", "10", "11", "12", "16", "27", "99"} <= set(codes)
    assert codes["12"] == "Home"


def test_taxonomy_format_and_brief_codes():
    codes = {c["code"] for c in load("taxonomy.json")["codes"]}
    for code in codes:
        assert re.fullmatch(r"\d{3}[0-9A-Z]{6}X", code), code
    assert {"172V00000X", "171M00000X", "251B00000X", "251V00000X", "251X00000X",
            "332U00000X", "343900000X", "344600000X", "347C00000X", "376J00000X",
            "385H00000X", "175T00000X", "133V00000X", "171W00000X"} <= codes


# --------------------------------------------------------------------------
# 835 code lists
# --------------------------------------------------------------------------

def test_carc_format_and_required():
    codes = {c["code"] for c in load("carc.json")["codes"]}
    for code in codes:
        assert re.fullmatch(r"[1-9]\d{0,2}|[A-Z]\d{1,2}", code), code
    required = """1 2 3 16 18 22 23 27 29 31 45 96 97 109 119 151 170 185 197 198 204 222
    242 253 B7 P1""".split()
    assert set(required) <= codes


def test_rarc_format_and_required():
    codes = {c["code"] for c in load("rarc.json")["codes"]}
    for code in codes:
        assert re.fullmatch(r"M[1-9]\d{0,2}|MA\d{2,3}|N[1-9]\d{0,2}", code), code
    required = """N290 M53 N54 N362 MA130 N95 M15 M80 N130 N30 N19 N20 MA01 MA18 N381 N4
    N56 M51 M76 M77 N657 N522 N179""".split()
    assert set(required) <= codes


def test_claim_status_codes():
    codes = {c["code"] for c in load("claim_status.json")["codes"]}
    assert codes == {"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"}


def test_cas_groups_5010_only():
    codes = {c["code"] for c in load("cas_groups.json")["codes"]}
    assert codes == {"CO", "OA", "PI", "PR"}
    assert "CR" not in codes


def test_plb_reason_codes():
    codes = {c["code"] for c in load("plb_reasons.json")["codes"]}
    expected = """50 51 72 90 AH AM AP B2 B3 BD BN C5 CR CS CT CV CW DM E3 FB FC GO HM IP IR
    IS J1 L3 L6 LE LS OA OB PI PL RA RE SL TL WO WU""".split()
    assert codes == set(expected)
