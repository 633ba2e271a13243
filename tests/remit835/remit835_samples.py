"""A hand-written 835 and helpers to bend it. Every number in it was worked out by hand:

    SVC  S5170-U6 charge 50.00 - CO-45 2.50 - PR-3 5.00 = paid 42.50
    CLP  charge 50.00 - (2.50 + 5.00) = paid 42.50; patient responsibility 5.00
    BPR  42.50 = 42.50 (no PLB)

Segment positions in the stream: ISA 1, GS 2, ST 3, BPR 4, TRN 5, N1 6, N3 7, N4 8, PER 9,
N1 10, LX 11, CLP 12, NM1 13, SVC 14, DTM 15, CAS 16, CAS 17, REF 18, AMT 19, LQ 20, SE 21,
GE 22, IEA 23. SE01 = 19 (ST through SE).
"""

from __future__ import annotations

from pathlib import Path

from sdohedi.remit835 import Parser835

# The repository's corpus (tests/data/corpus), found from here: ``from conftest import CORPUS``
# breaks in a whole-suite run as soon as another test directory has its own conftest.py (both are
# module "conftest").
CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"

ISA = "ISA*00*          *00*          *ZZ*CASCADEHP      *ZZ*HARBORNLE      *261102*0930*^*00501*000000101*0*P*:~"
GS = "GS*HP*CASCADEHP*HARBORNLE*20261102*0930*55*X*005010X221A1~"
HEADER = [
    "BPR*I*42.50*C*CHK************20261030",
    "TRN*1*CHK100200*1930000000",
    "N1*PR*CASCADE HEALTH PLAN",
    "N3*1 PLAN WAY",
    "N4*PORTLAND*OR*97201",
    "PER*BL*EDI DESK*TE*5035550199",
    "N1*PE*HARBOR NETWORK LEAD*XX*1234567893",
]
CLAIM = [
    "LX*1",
    "CLP*CLM1001*1*50*42.5*5*MC*PAYER123",
    "NM1*QC*1*RIVERA*ANA****MI*MBR000111",
    "SVC*HC:S5170:U6*50*42.5**4",
    "DTM*472*20261003",
    "CAS*CO*45*2.5",
    "CAS*PR*3*5",
    "REF*6R*SVC-1",
    "AMT*B6*47.5",
    "LQ*HE*N290",
]
PHI = ("RIVERA", "ANA", "MBR000111")  # must never appear in a message


def transaction(body: list[str] | None = None, st02: str = "0001", se01: int | None = None,
                se02: str | None = None) -> str:
    body = HEADER + CLAIM if body is None else body
    count = len(body) + 2 if se01 is None else se01
    return "".join(f"{s}~" for s in [f"ST*835*{st02}", *body, f"SE*{count}*{se02 or st02}"])


def interchange(*transactions: str, ge01: int | None = None, iea01: int | None = None, isa: str = ISA,
                gs: str = GS, iea02: str = "000000101") -> str:
    n = len(transactions) if ge01 is None else ge01
    return f"{isa}{gs}{''.join(transactions)}GE*{n}*55~IEA*{1 if iea01 is None else iea01}*{iea02}~"


SAMPLE = interchange(transaction())


def replace_segment(segments: list[str], prefix: str, new: str | None) -> list[str]:
    """A copy of ``segments`` with the first one starting with ``prefix`` replaced (or dropped if None)."""
    out = list(segments)
    i = next(i for i, s in enumerate(out) if s.startswith(prefix))
    if new is None:
        del out[i]
    else:
        out[i] = new
    return out


def parse_all(data: bytes | str, cuts=()):
    """(remittances, envelope findings) reading ``data`` cut at ``cuts``."""
    if isinstance(data, str):
        data = data.encode("latin-1")
    parser = Parser835()
    out = []
    prev = 0
    for c in sorted(cuts):
        out += parser.feed(data[prev:c])
        prev = c
    out += parser.feed(data[prev:])
    out += parser.close()
    return out, parser.findings
