"""Shared helpers for the validator tests."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import CORPUS
from factories import ENVELOPE, RECEIVER, SUBMITTER, TIMESTAMP
from sdohedi.claims837p import write_837p
from sdohedi.validate import RULES, Validator
from sdohedi.x12 import Tokenizer

PYX12_LINE = re.compile(r"Line:(\d+) (SEG|ELE|ST|GS|ISA):")
STRUCTURAL = ("syntax", "guide")  # the layers pyx12 checks too


def render(claims, **kw) -> str:
    args = dict(submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE, interchange_control_number=101,
                group_control_number=55, timestamp=TIMESTAMP)
    args.update(kw)
    out: list[str] = []
    write_837p(claims, out.append, **args)
    return "".join(out)


def validate_bytes(data: bytes, *, chunk: int | None = None, keep_results: bool = False):
    v = Validator(keep_results=keep_results)
    findings = []
    if chunk:
        for i in range(0, len(data), chunk):
            findings += v.feed(data[i:i + chunk])
    else:
        findings += v.feed(data)
    findings += v.close()
    return findings, v


def errors(findings, levels=None):
    return [f for f in findings if f.severity == "error" and (levels is None or f.level in levels)]


def segments_by_position(data: bytes) -> dict:
    tok = Tokenizer(strict=False)
    out = {}
    try:
        for s in tok.feed(data) + tok.close():
            out[s.position] = s.elements
    except Exception:  # noqa: BLE001 - a broken file still maps what was read
        pass
    return out


def our_keys(findings) -> set:
    """Where our syntax and guide errors are, keyed as pyx12's messages can be."""
    keys = set()
    for f in errors(findings, STRUCTURAL):
        scope = RULES[f.rule].scope
        loc = f.location
        if f.rule in ("isa-missing", "isa-fixed-length", "truncated"):
            keys.add(("fatal",))
        elif scope in ("segment", "element"):
            keys.add(("segment", loc.position))
        elif scope == "transaction":
            keys.add(("ST", loc.transaction))
        elif scope == "group":
            keys.add(("GS", loc.group))
        else:
            keys.add(("ISA", loc.interchange))
    return keys


def pyx12_keys(messages: list[str], data: bytes) -> set:
    """pyx12 reports segment and element errors at a line (= segment ordinal) and envelope
    errors at the line of their ST, GS or ISA; we key the latter by control number."""
    segs = segments_by_position(data)
    keys = set()
    for msg in messages:
        m = PYX12_LINE.match(msg)
        if m is None:
            keys.add(("fatal",))
            continue
        line, kind = int(m.group(1)), m.group(2)
        if kind in ("SEG", "ELE"):
            keys.add(("segment", line))
        else:
            els = segs.get(line)
            index = {"ST": 2, "GS": 6, "ISA": 13}[kind]
            keys.add((kind, els[index] if els and len(els) > index else line))
    return keys


def corpus(folder: str) -> list[Path]:
    return sorted((CORPUS / folder).iterdir())
