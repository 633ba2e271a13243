"""Every public 835 in the corpus parses, and what it says matches numbers read off the raw
segments by hand (the literals below were added up from the files, not printed by the code)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from corpus_split import cents, split_file
from remit835_samples import CORPUS, parse_all
from sdohedi.remit835 import balance_findings, parse_835_file

FILES = sorted((CORPUS / "835").glob("*.edi"))

# file: (ST02, claims, service lines, CAS triplets at all levels, BPR02, sum of CLP03, sum of CLP04,
#        sum of PLB amounts, trace number, payer id (N104, else REF*2U, else TRN03), payment date)
EXPECTED = {
    "stupidedi-dollars-and-data-sent-separate.edi": (
        "112233", 2, 2, 5, D("945"), D("2000"), D("945"), D("0"), "71700666555", "1935665544", dt.date(2002, 3, 16)),
    "stupidedi-dollars-and-data-sent-together.edi": (
        "1234", 2, 0, 2, D("150000"), D("226366.97"), D("149998.73"), D("-1.27"), "12345", "999",
        dt.date(2002, 9, 13)),
    "stupidedi-era-sample.edi": (
        "35681", 1, 5, 5, D("132"), D("226"), D("132"), D("0"), "12345", "1512345678", dt.date(2014, 3, 31)),
    "stupidedi-multiple-claims-single-check.edi": (
        "35681", 9, 33, 39, D("810.8"), D("2819"), D("810.8"), D("0"), "12345", "1512345678", dt.date(2014, 3, 31)),
    "stupidedi-secondary-payment-with-higher-fee-schedule.edi": (
        "0001", 1, 1, 2, D("34"), D("541"), D("34"), D("0"), "0063158ABC", "1566339911", dt.date(2005, 3, 18)),
    "stupidedi-secondary-payments.edi": (
        "0001", 2, 2, 5, D("1222"), D("11075.14"), D("1222"), D("0"), "0012524965", "1559123456",
        dt.date(2005, 4, 12)),
    "stupidedi-tertiary-payments.edi": (
        "0001", 1, 1, 1, D("187.5"), D("1766.5"), D("187.5"), D("0"), "0012524879", "1559123456",
        dt.date(2005, 4, 12)),
}


def test_corpus_is_what_we_expect():
    assert sorted(f.name for f in FILES) == sorted(EXPECTED)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_file_totals(path):
    envelope = []
    rems = list(parse_835_file(path, findings=envelope))
    assert len(rems) == 1 and envelope == []
    r = rems[0]
    st02, n_claims, n_lines, n_adj, bpr02, charged, paid, plb, trace, payer_id, day = EXPECTED[path.name]
    assert r.transaction_control_number == st02
    assert len(r.claims) == n_claims
    assert sum(len(c.services) for c in r.claims) == n_lines
    assert sum(len(c.all_adjustments) for c in r.claims) == n_adj
    assert r.total_payment == bpr02
    assert sum(c.charge for c in r.claims) == charged
    assert sum(c.paid for c in r.claims) == paid
    assert sum((p.amount for p in r.provider_adjustments), D(0)) == plb
    assert (r.trace_number, r.payer_id, r.payment_date) == (trace, payer_id, day)
    assert r.findings == []  # SE01 and SE02 are right in all of them (counted by hand)
    assert balance_findings(r) == []  # and they all balance


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_hand_counted_values_are_what_a_plain_split_reads(path):
    split = split_file(path)
    _, n_claims, n_lines, _, bpr02, charged, paid, plb, *_ = EXPECTED[path.name]
    assert (split.ids["CLP"], split.ids["SVC"]) == (n_claims, n_lines)
    amounts = (bpr02, charged, paid, plb)
    assert (split.bpr02, split.clp03, split.clp04, split.plb) == tuple(cents(str(x)) for x in amounts)


def test_dollars_and_data_sent_separate_in_detail():
    (r,), _ = parse_all((CORPUS / "835" / "stupidedi-dollars-and-data-sent-separate.edi").read_bytes())
    assert (r.interchange_control_number, r.group_control_number, r.version) == ("000010216", "20213", "005010X221A1")
    assert (r.interchange_sender_id, r.interchange_receiver_id) == ("123456789012345", "123456789012346")
    assert (r.handling_code, r.credit_debit, r.payment_method, r.payment_format) == ("I", "C", "ACH", "CCP")
    assert (r.sender_dfi_qualifier, r.sender_dfi_id, r.sender_account_number) == ("01", "888999777", "24681012")
    assert (r.originator_id, r.receiver_dfi_id, r.receiver_account_number) == ("1935665544", "111333555", "144444")
    assert r.production_date == dt.date(2002, 3, 14)
    assert r.payer.name == "RUSHMORE LIFE" and r.payer.address.city == "RAPID CITY"
    assert r.payer.address.state == "SD" and r.payer.address.postal_code == "55111"
    bl = r.payer.contacts[0]
    assert bl.function == "BL" and [(c.qualifier, c.number) for c in bl.communications] == [
        ("TE", "8005551212"), ("EX", "123")]
    assert (r.payee.id_qualifier, r.payee.id, r.payee.npi) == ("XX", "5544667733", "5544667733")
    assert [(x.qualifier, x.value) for x in r.payee.references] == [("TJ", "777667755")]
    assert r.payee.tax_id == "777667755"

    first, second = r.claims
    assert (first.claim_id, first.status_code, first.charge, first.paid, first.patient_responsibility) == (
        "5554555444", "1", D("800"), D("450"), D("300"))
    assert (first.filing_indicator, first.payer_claim_number, first.position) == ("12", "94060555410000", 14)
    assert [(a.group, a.reason, a.amount) for a in first.adjustments] == [("CO", "A2", D("50"))]
    assert first.patient.last_name == "BUDD" and first.patient.identifier == "33344555510"
    (svc,) = first.services
    assert (svc.qualifier, svc.procedure_code, svc.modifiers, svc.charge, svc.paid, svc.units) == (
        "HC", "99211", [], D("800"), D("500"), D("1"))
    assert (svc.service_start, svc.service_end, svc.date) == (dt.date(2002, 3, 1), dt.date(2002, 3, 4),
                                                              dt.date(2002, 3, 1))
    assert [(a.group, a.reason, a.amount) for a in svc.adjustments] == [("PR", "1", D("300"))]
    assert second.position == 21
    assert [a.code for a in second.all_adjustments] == ["CO-A2", "PR-1", "CO-45"]


def test_together_has_plb_moa_and_header_numbers():
    (r,), _ = parse_all((CORPUS / "835" / "stupidedi-dollars-and-data-sent-together.edi").read_bytes())
    assert [c.header_number for c in r.claims] == ["110212", "130212"]
    a, b = r.claims
    assert (a.facility_code, a.frequency, a.filing_indicator) == ("11", "1", "MA")
    assert [(d.qualifier, d.date) for d in a.dates] == [("232", dt.date(2002, 8, 16)), ("233", dt.date(2002, 8, 24))]
    assert (a.statement_start, a.statement_end) == (dt.date(2002, 8, 16), dt.date(2002, 8, 24))
    assert [(q.qualifier, q.quantity) for q in a.quantities] == [("CA", D("8"))]
    assert b.outpatient is not None and b.outpatient.remark_codes == ["MA02"]
    (plb,) = r.provider_adjustments
    assert (plb.provider_id, plb.fiscal_period_date, plb.reason, plb.reference_id, plb.amount) == (
        "6543210903", dt.date(2002, 12, 31), "CV", "CP", D("-1.27"))
    assert r.payer.identifier == "999" and r.payer.id is None


def test_secondary_payments_multi_triplet_cas_and_revenue_code():
    (r,), _ = parse_all((CORPUS / "835" / "stupidedi-secondary-payments.edi").read_bytes())
    no_lines, with_lines = r.claims
    assert no_lines.services == [] and [a.code for a in no_lines.adjustments] == ["OA-23"]
    assert no_lines.amounts[0].qualifier == "AU" and no_lines.amounts[0].amount == D("912")
    first, second = with_lines.services
    assert first.modifiers == ["26"] and first.allowed_amount == D("150")
    assert [(x.qualifier, x.value) for x in first.references] == [("1B", "43285")]
    # CAS*PR*1*150**2*70: one segment, two triplets, the first without a quantity
    assert [(a.group, a.reason, a.amount, a.quantity) for a in second.adjustments] == [
        ("PR", "1", D("150"), None), ("PR", "2", D("70"), None), ("CO", "42", D("85"), None)]
    assert (second.revenue_code, second.units) == ("220", D("1"))


def test_higher_fee_schedule_negative_adjustment():
    (r,), _ = parse_all((CORPUS / "835" / "stupidedi-secondary-payment-with-higher-fee-schedule.edi").read_bytes())
    (svc,) = r.claims[0].services
    assert [(a.code, a.amount) for a in svc.adjustments] == [("OA-23", D("516")), ("OA-94", D("-9"))]
    assert r.claims[0].rendering_provider.entity_type == "2"
    assert r.claims[0].rendering_provider.last_name == "PROFESSIONAL TEST 1"


def test_multiple_claims_patient_responsibility_adds_up():
    (r,), _ = parse_all((CORPUS / "835" / "stupidedi-multiple-claims-single-check.edi").read_bytes())
    pr = sum(a.amount for c in r.claims for a in c.all_adjustments if a.group == "PR")
    assert pr == D("970.2")  # 14 + 10 + 756 + 146 + 33 + 11.2
    assert sum(c.patient_responsibility or 0 for c in r.claims) == D("970.2")  # 24 + 902 + 44.2
    assert r.claims[1].insured is not None and r.claims[1].insured.entity_code == "IL"
    assert all(s.qualifier == "AD" for c in r.claims for s in c.services)
