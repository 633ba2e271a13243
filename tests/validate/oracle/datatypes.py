"""X12 data types (N0/N2, R, DT, TM, AN/ID) as the 5010 base standard defines them.

The predicates follow pyx12's ``validation`` module so that a value we accept is one pyx12
accepts, with one documented tightening: dates must exist on the calendar (pyx12 agrees).
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]*(\.[0-9]+)?")
# Control characters pyx12 names (a separate error from other invalid characters).
CONTROL_NAMES = {
    "\x07": "BEL", "\x09": "HT", "\x0a": "LF", "\x0b": "VT", "\x0c": "FF", "\x0d": "CR", "\x1c": "FS",
    "\x1d": "GS", "\x1e": "RS", "\x1f": "US", "\x01": "SOH", "\x02": "STX", "\x03": "ETX", "\x04": "EOT",
    "\x05": "ENQ", "\x06": "ACK", "\x11": "DC1", "\x12": "DC2", "\x13": "DC3", "\x14": "DC4", "\x15": "NAK",
    "\x16": "SYN", "\x17": "ETB",
}
_CONTROL = re.compile("[" + "".join(CONTROL_NAMES) + "]")
# The 5010 extended character set is all of printable ASCII; anything else is invalid.
_NOT_PRINTABLE = re.compile(r"[^ -~]")
# Bytes that make a chunk need the character checks (see engine): anything outside printable
# ASCII, or a line break that does not follow a segment terminator.
DATE_TYPES = ("RD8", "DT", "D8", "D6")


def control_character(value: str) -> str | None:
    m = _CONTROL.search(value)
    return CONTROL_NAMES[m.group()] if m else None


def has_invalid_character(value: str) -> bool:
    return _NOT_PRINTABLE.search(value) is not None


def is_number(value: str) -> bool:
    return _NUMBER.fullmatch(value) is not None


def is_decimal(value: str) -> bool:
    return _DECIMAL.fullmatch(value) is not None


def is_date(value: str, data_type: str = "DT") -> bool:
    """CCYYMMDD (D8), YYMMDD (D6) or either, or CCYYMMDDHHMM (DT)."""
    if data_type == "D8" and len(value) != 8:
        return False
    if data_type == "D6" and len(value) != 6:
        return False
    if not value.isdigit() or not value.isascii() or len(value) not in (6, 8, 12):
        return False
    if len(value) == 6:
        value = ("20" if int(value[:2]) < 50 else "19") + value
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:8])
    if year < 1800 or not 1 <= month <= 12:
        return False
    if month in (4, 6, 9, 11):
        last = 30
    elif month == 2:
        last = 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28
    else:
        last = 31
    if not 1 <= day <= last:
        return False
    return len(value) != 12 or is_time(value[8:12])


def is_time(value: str) -> bool:
    """HHMM, HHMMSS or HHMMSSd..d (at most 8 digits)."""
    if not value.isdigit() or not value.isascii() or len(value) < 4 or len(value) == 5 or len(value) > 8:
        return False
    return value[:2] <= "23" and value[2:4] <= "59" and (len(value) == 4 or value[4:6] <= "59")


def is_date_range(value: str) -> bool:
    start, sep, end = value.partition("-")
    return sep == "-" and is_date(start, "D8") and is_date(end, "D8")


def valid_as(value: str, data_type: str) -> bool:
    """Is ``value`` valid as ``data_type`` (a 1250 format qualifier or a base type)?"""
    if data_type == "RD8":
        return is_date_range(value)
    if data_type in ("DT", "D8", "D6"):
        return is_date(value, data_type)
    if data_type == "TM":
        return is_time(value)
    if data_type[:1] == "N":
        return is_number(value)
    if data_type == "R":
        return is_decimal(value)
    if data_type in ("AN", "ID"):
        return not has_invalid_character(value)
    return False  # an unknown format qualifier (pyx12 does the same)


def numeric_length(value: str) -> int:
    """Length as the standard counts it for numbers: sign and decimal point excluded."""
    return len(value) - value.count("-") - value.count(".")
