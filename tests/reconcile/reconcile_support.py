"""Helpers of the reconcile tests: ledgers of either backend, hand-built 835s, 999s and 277CAs,
and what two ledgers must agree on after the same scenario."""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from decimal import Decimal as D
from pathlib import Path

from factories import TRIP_TO_CLINIC
from sdohedi import reconcile as rec
from sdohedi.ledger import Ledger, open_ledger
from sdohedi.models.config import load_config
from sdohedi.models.remit import Adjustment, ClaimPayment, Payee, Payer, ProviderAdjustment, Remittance, ServicePayment
from sdohedi.models.service_row import COLUMNS
from sdohedi.pipeline.encode import encode

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "fixtures" / "nle.toml")
TODAY = dt.date(2026, 11, 1)
BACKENDS = ["sqlite", "postgresql"]
ISA = "ISA*00*          *00*          *ZZ*CMHP1          *ZZ*HARBORNLE      *261102*1200*^*00501*000000077*0*T*:~"


def open_backend(kind: str, request, tmp_path: Path):
    """A new, empty ledger: a SQLite file, or a fresh database on the session's PostgreSQL server
    (asked for only here, so the SQLite cases run where PostgreSQL is not installed)."""
    if kind == "sqlite":
        return Ledger(tmp_path / f"l-{uuid.uuid4().hex[:8]}.sqlite")
    server = request.getfixturevalue("pg_server")
    return open_ledger(server.new_database("r" + uuid.uuid4().hex[:12]))


def row(sid, member, cbo, code, mods, units, day):
    return dict(service_id=sid, member_id=member, member_last_name="DOE", member_first_name="JO",
                member_birth_date="1960-01-01", member_sex="F", member_address="2 ELM ST", member_city="BEND",
                member_state="OR", member_zip="97701", payer="cascade", cbo=cbo, service_date=day,
                procedure_code=code, modifiers=mods, units=units, minutes="", diagnosis_codes="Z59.41",
                place_of_service="12", charge="", prior_auth="", **(TRIP_TO_CLINIC if code == "T2003" else {}))


# Fees from fixtures/nle.toml (cascade): S5170:U6 10.25, T2003 28.00, T1016 21.40
FIVE_ROWS = [row("A1", "M1", "meals", "S5170", "U6", "4", "2026-09-02"),   # 41.00
             row("A2", "M1", "meals", "S5170", "U6", "2", "2026-09-03"),   # 20.50 -> claim A: 61.50
             row("B1", "M2", "rides", "T2003", "", "2", "2026-09-04"),     # claim B: 56.00
             row("C1", "M3", "casemgmt", "T1016", "", "3", "2026-09-05"),  # claim C: 64.20
             row("E1", "M4", "meals", "S5170", "U6", "1", "2026-09-06")]   # claim E: 10.25 (never paid)


def write_rows(path: Path, rows) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


def bill(ledger, log: Path, out: Path, **options):
    return encode([log], CONFIG, out_dir=out, ledger=ledger, today=TODAY, **options)


def claim_of(ledger, service_id: str) -> str:
    return ledger.execute("SELECT claim_id FROM claim_lines WHERE service_id = ?", (service_id,)).fetchone()[0]


def remit(trace: str, total: str, claims, plb=()) -> Remittance:
    return Remittance(
        interchange_control_number="000000900", interchange_sender_id="CMHP1", interchange_receiver_id="HARBORNLE",
        group_control_number="900", application_sender="CMHP1", application_receiver="HARBORNLE",
        version="005010X221A1", transaction_control_number="0001", handling_code="I", total_payment=D(total),
        credit_debit="C", payment_method="ACH", payment_date=dt.date(2026, 10, 20), trace_number=trace,
        trace_payer_id="1930000000", payer=Payer(name="CASCADE MEDICAID HEALTH PLAN"),
        payee=Payee(name="HARBOR COMMUNITY CARE NETWORK", id_qualifier="XX", id="1234567893"),
        claims=list(claims), provider_adjustments=list(plb))


def svc(sid, code, charge, paid, adj=()):
    return ServicePayment(qualifier="HC", procedure_code=code, charge=D(charge), paid=D(paid),
                          line_control_number=sid, adjustments=[Adjustment(group=g, reason=r, amount=D(a)) for g, r, a in adj])


def plb(reason: str, amount: str, reference_id: str | None = None) -> ProviderAdjustment:
    return ProviderAdjustment(provider_id="1234567893", fiscal_period_date=dt.date(2026, 12, 31), reason=reason,
                              reference_id=reference_id, amount=D(amount))


def paid_then_recouped(claim_a: str, *more_plb: ProviderAdjustment) -> tuple[Remittance, Remittance]:
    """Claim A (lines A1, A2) paid in full under payer claim number ICN-A9; then a check that recoups
    20.50 of it (WO, positive: reduces the check) and pays 1.25 interest (L6, negative)."""
    pay = remit("EFT4001", "61.50", [ClaimPayment(claim_id=claim_a, status_code="1", charge=D("61.50"),
                                                  paid=D("61.50"), payer_claim_number="ICN-A9",
                                                  services=[svc("A1", "S5170", "41.00", "41.00"),
                                                            svc("A2", "S5170", "20.50", "20.50")])])
    recoup = remit("EFT4002", "-19.25", [], plb=[plb("WO", "20.50", "ICN-A9"), plb("L6", "-1.25"), *more_plb])
    return pay, recoup


def ack_999(gs06: int, ik5: str, ak9: str, control: int = 77) -> bytes:
    """A 999 for transaction set 0001 of functional group ``gs06``."""
    error = "IK3*NM1*8*2010BA*8~" if ik5 != "A" else ""
    accepted = "1" if ak9 == "A" else "0"
    body = (f"ST*999*0001*005010X231A1~AK1*HC*{gs06}*005010X222A1~AK2*837*0001*005010X222A1~{error}"
            f"IK5*{ik5}~AK9*{ak9}*1*1*{accepted}~")
    n = body.count("~") + 1
    return (f"{ISA}GS*FA*CMHP1*HARBORNLE*20261102*1200*{control}*X*005010X231A1~{body}SE*{n}*0001~"
            f"GE*1*{control}~IEA*1*000000077~").encode()


def ack_277ca(accepted: list[str], rejected: list[str], control: int = 79) -> bytes:
    """A 277CA accepting (A2) and rejecting (A7) our claims, each given a payer claim number."""
    body = ("BHT*0085*08*X1*20261102*1200*TH~HL*1**20*1~NM1*PR*2*CASCADE*****PI*CMHP1~TRN*1*X1~DTP*050*D8*20261102~"
            "DTP*009*D8*20261102~HL*2*1*21*1~NM1*41*2*HARBOR*****46*HARBORNLE~TRN*2*X2~STC*A1:20*20261102*WQ*20.50~"
            "HL*3*2*19*1~NM1*85*2*HARBOR*****XX*1234567893~TRN*1*X3~")
    hl = 4
    for claim_id, stc in [(c, "A2:20") for c in accepted] + [(c, "A7:562:85") for c in rejected]:
        body += (f"HL*{hl}*3*PT~NM1*QC*1*DOE*JO****MI*M1~TRN*2*{claim_id}~STC*{stc}*20261102*WQ*10.25~"
                 f"REF*1K*ICN{claim_id}~DTP*472*D8*20260902~")
        hl += 1
    n = body.count("~") + 2
    return (f"{ISA}GS*HN*CMHP1*HARBORNLE*20261102*1200*{control}*X*005010X214~ST*277*0001*005010X214~{body}"
            f"SE*{n}*0001~GE*1*{control}~IEA*1*000000077~").encode()


def reports(ledger) -> dict:
    return {"outstanding": rec.outstanding(ledger, TODAY), "denials": rec.denials(ledger),
            "disbursement": rec.disbursement(ledger, CONFIG), "unmatched": rec.unmatched(ledger),
            "network_adjustments": rec.network_adjustments(ledger)}


# every column that reconcile or an acknowledgment writes, less the clock's (created/updated/applied at)
SNAPSHOT = {
    "claims": "claim_id, status, paid, patient_responsibility, payer_claim_number, ack_status, ack_codes",
    "claim_lines": "service_id, claim_id, line_number, paid, status",
    "line_history": "service_id, claim_id",
    "interchanges": "sender_id, isa13, gs06, ack_status",
    "transactions": "sender_id, isa13, st02, ack_status",
    "remittances": "remittance_key, trace_payer_id, trace_number, isa13, st02, payer_id, payment_date, total_payment,"
                   " credit_debit, claims_paid, source",
    "claim_payments": "remittance_key, trace_payer_id, trace_number, seq, claim_id, matched, status_code, outcome,"
                      " charge, paid, patient_responsibility, payer_claim_number, adjustments",
    "line_payments": "remittance_key, trace_payer_id, trace_number, claim_seq, line_seq, claim_id, service_id,"
                     " matched, procedure_code, charge, paid, adjustments",
    "provider_adjustments": "remittance_key, trace_payer_id, trace_number, seq, provider_id, reason, reference_id,"
                            " amount, claim_id",
}


def counted_statements(ledger) -> list[str]:
    """The SQL each ``execute``/``executemany`` of ``ledger`` runs from now on (until ``del ledger.execute,
    ledger.executemany``)."""
    seen: list[str] = []
    execute, executemany = ledger.execute, ledger.executemany

    def counting_execute(sql, params=()):
        seen.append(sql)
        return execute(sql, params)

    def counting_executemany(sql, rows):
        seen.append(sql)
        return executemany(sql, rows)

    ledger.execute, ledger.executemany = counting_execute, counting_executemany
    return seen


def snapshot(ledger) -> dict[str, list[tuple]]:
    """The ledger's rows, in an order of our own (the backends scan tables in different orders)."""
    def key(r):
        return tuple("" if v is None else f"{type(v).__name__}:{v}" for v in r)

    return {table: sorted((tuple(r) for r in ledger.execute(f"SELECT {cols} FROM {table}").fetchall()), key=key)
            for table, cols in SNAPSHOT.items()}
