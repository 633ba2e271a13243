"""Reading 837P files written by others: the stupidedi examples (the TR3's own examples).

The expected values below were copied by hand from the raw files in tests/data/corpus/837p,
not produced by the reader.
"""

import datetime as dt
from decimal import Decimal

import pytest

from conftest import CORPUS
from corpus_split import cents, split_file
from sdohedi.claims837p import ClaimNotRead, Reader837P, read_837p_file
from sdohedi.models import Claim
from sdohedi.models.fields import LENIENT_CONTEXT
from sdohedi.x12 import X12Error

DIR = CORPUS / "837p"
STUPIDEDI = sorted(DIR.glob("stupidedi-*.edi"))


def read(name: str, *, lenient: bool = True) -> tuple[Reader837P, list]:
    reader = Reader837P(lenient=lenient)
    pairs = reader.feed_with_headers((DIR / name).read_bytes())
    pairs += reader.close_with_headers()
    return reader, pairs


def only_claim(name: str, *, lenient: bool = True) -> Claim:
    reader, pairs = read(name, lenient=lenient)
    assert reader.errors == []
    assert len(pairs) == 1
    return pairs[0][1]


def test_the_corpus_is_there():
    assert len(STUPIDEDI) == 16


@pytest.mark.parametrize("path", STUPIDEDI, ids=lambda p: p.name)
def test_every_stupidedi_file_decodes_leniently_to_valid_claims(path):
    reader = Reader837P(lenient=True)
    claims = reader.feed(path.read_bytes()) + reader.close()
    assert reader.errors == []
    assert len(claims) == 1  # each example holds one claim (CLM)
    assert path.read_text().count("~CLM*") == 1
    for claim in claims:
        # whatever the reader built (fast path or not) is what full validation builds
        assert Claim.model_validate(claim.model_dump(), context=LENIENT_CONTEXT) == claim


# file -> (claim id, CLM02, procedure codes, diagnosis qualifier, diagnoses, member id, payer id,
#          strict-readable?, deviations of a lenient read)
EXPECTED = {
    "stupidedi-COB-claim-from-billing-provider-to-payer-a.edi": (
        "26407789", "79.04", ["99213", "90782", "J3301"], "BK", ("4779", "2724", "2780", "53081"), "111223333",
        "999996666", False, ("npi-check-digit",)),
    "stupidedi-ambulance.edi": (
        "051068", "766.50", ["A0427", "A0425", "A0422", "A0382"], "BK", ("8628", "E8888", "9592", "8540"),
        "012345678A", "123245", False, ("npi-check-digit",)),
    "stupidedi-anesthesia.edi": (
        "153829140", "827", ["00142"], "BK", ("36616",), "123456789A", "05440", False, ("npi-check-digit",)),
    "stupidedi-chiropractic.edi": (
        "125WILL", "145.5", ["98940"], "BK", ("7215",), "123456789A", "C12345", False, ("npi-check-digit",)),
    "stupidedi-commercial-health-insurance.edi": (
        "26463774", "100", ["99213", "87070", "99214", "86663"], "BK", ("0340", "V7389"), "JS00111223333",
        "999996666", False, ("npi-check-digit", "taxonomy-format")),
    "stupidedi-drug-administered-in-the-physician-office.edi": (
        "CLMNO12345", "103.37", ["90782", "J1550"], "BK", ("03591",), "MBRID12345", "PLANID12345", True, ()),
    "stupidedi-home-infusion-therapy-pharmacy-adjudicated-with-HCPCS-in-loop-2400-or-NDC-in-loop-2410.edi": (
        "CLMNO12345", "2232.93", ["S9500", "J0696", "J7051", "J3490", "J3490", "J3490"], "BK", ("4659",),
        "MBRID01234", "PLANID12345", True, ()),
    "stupidedi-oxygen.edi": (
        "R03996273 #01", "520.24", ["E1390", "E0431"], "BK", ("496", "51881", "2859"), "111222333A", "99999",
        False, ("npi-check-digit",)),
    "stupidedi-ppo-repriced-claim.edi": (
        "ABC123-RI", "28.75", ["E0570", "A7003"], "BK", ("496", "25000"), "00124A089", "12345", False,
        ("npi-check-digit", "billing-provider-po-box")),
    "stupidedi-wheelchair.edi": (
        "SMI123", "75", ["K0001"], "BK", ("436", "3449"), "987654321A", "99999", True, ()),
    "stupidedi-out-of-network-repriced-claim.edi": (
        "TS234H3", "252.71", ["99284"], "BK", ("9951",), "57976235C", "00123", False, ("npi-check-digit",)),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hand_copied_values(name):
    claim_id, total, procedures, qualifier, dx, member_id, payer_id, strict_ok, deviations = EXPECTED[name]
    claim = only_claim(name)
    assert claim.claim_id == claim_id
    assert claim.total_charge == Decimal(total)
    assert len(claim.lines) == len(procedures)
    assert [ln.procedure_code for ln in claim.lines] == procedures
    assert claim.diagnosis_code_qualifier == qualifier
    assert claim.diagnoses == dx
    assert claim.subscriber.member_id == member_id
    assert claim.payer.payer_id == payer_id
    assert claim.deviations == deviations
    reader, pairs = read(name, lenient=False)
    if strict_ok:
        assert [c for _, c in pairs] == [claim] and reader.errors == []
    else:
        assert pairs == []
        [error] = reader.errors
        assert isinstance(error, ClaimNotRead) and error.claim_ordinal == 1
        assert "lenient" in str(error)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hand_copied_values_are_what_a_plain_split_reads(name):
    claim_id, total, procedures = EXPECTED[name][:3]
    split = split_file(DIR / name)
    assert dict(split.claim_charges) == {(claim_id, cents(total)): 1}
    assert split.ids["SV1"] == len(procedures)


def test_anesthesia_minutes_individual_rendering_and_1g():
    claim = only_claim("stupidedi-anesthesia.edi")
    [line] = claim.lines
    # SV1*HC:00142:QK:QS:P1*827*MJ*61***1 / DTP*472*D8*20050112
    assert (line.modifiers, line.charge, line.unit_basis, line.units) == (("QK", "QS", "P1"), Decimal("827"), "MJ",
                                                                          Decimal("61"))
    assert line.service_date == dt.date(2005, 1, 12) and line.service_date_end is None
    assert line.diagnosis_pointers == (1,) and line.line_control_number is None
    assert claim.place_of_service == "22"
    # NM1*82*1*TOWNSEND*JACOB*E***XX*5678912345 / PRV*PE*PXC*207L00000X / REF*1G*A41234
    rp = claim.rendering_provider
    assert (rp.entity_type, rp.name, rp.first_name, rp.npi) == ("1", "TOWNSEND", "JACOB", "5678912345")
    assert (rp.taxonomy, rp.secondary_id_qualifier, rp.secondary_id) == ("207L00000X", "1G", "A41234")
    # SBR*P*18*******MB / DMG*D8*19740303*F
    assert claim.subscriber.payer_responsibility == "P" and claim.payer.claim_filing_indicator == "MB"
    assert (claim.subscriber.birth_date, claim.subscriber.sex) == (dt.date(1974, 3, 3), "F")
    assert claim.patient is None
    assert claim.billing_provider.tax_id == "756473826"


def test_cob_claim_individual_billing_provider_patient_loop_and_2010bb_ref():
    claim = only_claim("stupidedi-COB-claim-from-billing-provider-to-payer-a.edi")
    bp = claim.billing_provider
    # NM1*85*1*KILDARE*BEN****XX*1999996666, secondary id from 2010BB REF*G2*PBS3334
    assert (bp.entity_type, bp.name, bp.first_name, bp.npi) == ("1", "KILDARE", "BEN", "1999996666")
    assert (bp.payer_assigned_id_qualifier, bp.payer_assigned_id) == ("G2", "PBS3334")
    assert bp.address.line1 == "1234 SEAWAY ST" and bp.address.zip == "33111"
    # the pay-to address (2010AB: 2345 OCEAN BLVD) is not the billing provider's
    # subscriber: no N3/N4, DMG present, dependent patient HL 23
    assert claim.subscriber.address is None and claim.subscriber.birth_date == dt.date(1943, 5, 1)
    pat = claim.patient
    assert (pat.last_name, pat.first_name, pat.relationship, pat.sex) == ("SMITH", "TED", "19", "M")
    assert pat.birth_date == dt.date(1973, 5, 1) and pat.address.city == "MIAMI"
    # CLM*26407789*79.04***11:B:1*Y*A*Y*I*P
    assert (claim.provider_signature, claim.assignment_participation, claim.benefits_assignment,
            claim.release_of_information) == ("Y", "A", "Y", "I")
    assert [ln.diagnosis_pointers for ln in claim.lines] == [(1, 2, 3, 4), (1, 2), (1, 2)]
    assert [ln.charge for ln in claim.lines] == [Decimal("43"), Decimal("15"), Decimal("21.04")]
    # the COB loops' NM1*IL (SMITH JACK, T55TY666) and NM1*PR are not the claim's subscriber or payer
    assert claim.subscriber.first_name == "JANE" and claim.payer.name == "KEY INSURANCE COMPANY"
    # 2310B individual rendering provider, REF*G2*KA6663; the 2310C facility is read past
    assert (claim.rendering_provider.name, claim.rendering_provider.secondary_id) == ("KILDARE", "KA6663")


def test_ambulance_line_control_numbers_and_nine_digit_zip():
    claim = only_claim("stupidedi-ambulance.edi")
    assert [ln.line_control_number for ln in claim.lines] == ["1001", "1002", "1003", "1004"]
    assert [ln.units for ln in claim.lines] == [Decimal(1), Decimal(21), Decimal(1), Decimal(1)]
    assert all(ln.modifiers == ("RH",) for ln in claim.lines)
    assert claim.place_of_service == "41"
    assert claim.billing_provider.taxonomy == "3416L0300X"
    assert claim.billing_provider.address.zip == "800210021"
    assert claim.payer.name == "MEDICARE PART B"


def test_home_infusion_ranges_line_place_xv_payer_and_dashed_ein():
    name = "stupidedi-home-infusion-therapy-pharmacy-adjudicated-with-HCPCS-in-loop-2400-or-NDC-in-loop-2410.edi"
    claim = only_claim(name, lenient=False)
    # DTP*472*RD8*20040201-20040207 on every line; SV105 = 12
    assert {(ln.service_date, ln.service_date_end) for ln in claim.lines} == {
        (dt.date(2004, 2, 1), dt.date(2004, 2, 7))}
    assert {ln.place_of_service for ln in claim.lines} == {"12"}
    assert [ln.units for ln in claim.lines] == [Decimal(n) for n in (7, 56, 28, 7, 14, 7)]
    # SV101 HC:J3490:::::Sod Chl 0.9%see NDC#: empty modifier positions, description not kept
    assert claim.lines[3].modifiers == ()
    # NM1*PR*2*R&R Health Plan*****XV*PLANID12345
    assert (claim.payer.payer_id_qualifier, claim.payer.name) == ("XV", "R&R Health Plan")
    # REF*EI*10-1234567 is the EIN 101234567
    assert claim.billing_provider.tax_id == "101234567"
    assert claim.billing_provider.name == "Professional Home IV, LLC"


def test_one_day_range_is_one_date():
    claim = only_claim("stupidedi-oxygen.edi")  # DTP*472*RD8*20050321-20050321
    assert [(ln.service_date, ln.service_date_end) for ln in claim.lines] == [(dt.date(2005, 3, 21), None)] * 2
    assert claim.claim_id == "R03996273 #01"


def test_rendering_provider_without_prv_and_po_box_billing_address():
    claim = only_claim("stupidedi-ppo-repriced-claim.edi")
    rp = claim.rendering_provider  # NM1*82*1*ANTHONY*SUSAN*B***XX*1122334455, no PRV
    assert (rp.name, rp.first_name, rp.npi, rp.taxonomy) == ("ANTHONY", "SUSAN", "1122334455", None)
    assert claim.billing_provider.address.line1 == "P O BOX 123"
    assert [ln.modifiers for ln in claim.lines] == [("RR",), ("NU",)]


def test_drug_claim_strict_with_line_place_of_service():
    claim = only_claim("stupidedi-drug-administered-in-the-physician-office.edi", lenient=False)
    assert [ln.place_of_service for ln in claim.lines] == ["11", "11"]
    assert (claim.rendering_provider.first_name, claim.rendering_provider.taxonomy) == ("Jim", "208D00000X")
    assert claim.subscriber.first_name == "Steve" and claim.subscriber.last_name == "Vaughn"


def test_headers_of_the_examples():
    _, pairs = read("stupidedi-anesthesia.edi")
    header = pairs[0][0]
    # ISA*...*ZZ*123456789012345*ZZ*123456789012346*...*000010216*0*T / GS*HC*1234567890*9876543210*...*20213
    assert (header.sender_qualifier, header.sender_id, header.receiver_id) == ("ZZ", "123456789012345",
                                                                             "123456789012346")
    assert (header.interchange_control_number, header.usage, header.group_control_number) == ("000010216", "T",
                                                                                              "20213")
    assert (header.application_sender, header.application_receiver) == ("1234567890", "9876543210")
    # ST*837*0001 / BHT*0019*00*0123*20050117*1023*CH
    assert (header.transaction_control_number, header.reference_id, header.transaction_type) == ("0001", "0123", "CH")
    assert header.created_date == dt.date(2005, 1, 17) and header.created_time == "1023"
    # NM1*41*2*PROVIDER MEDICAL GROUP*****46*N305 / PER*IC*NINA*TE*6155551212*EX*911 / NM1*40*2*ABC PAYER*****46*05440
    assert (header.submitter.name, header.submitter.id, header.submitter.contact_name, header.submitter.phone) == (
        "PROVIDER MEDICAL GROUP", "N305", "NINA", "6155551212")
    assert (header.receiver.name, header.receiver.id) == ("ABC PAYER", "05440")
    _, pairs = read("stupidedi-oxygen.edi")  # PER*IC*BONNIE*TE*8125551111*EM*HELPDESK@OXYGEN.COM
    assert pairs[0][0].submitter.email == "HELPDESK@OXYGEN.COM"
    _, pairs = read("stupidedi-encounter.edi")  # BHT06 = RP
    assert pairs[0][0].transaction_type == "RP"


@pytest.mark.parametrize("path", sorted(DIR.glob("imsweb-*.txt")), ids=lambda p: p.name)
def test_imsweb_files_are_not_conforming_and_give_typed_errors(path):
    """These use HI*BK*8901 (no composite), HL parents that do not exist... Each claim gives an
    error naming where, never an exception other than X12Error."""
    errors = []
    try:
        claims = list(read_837p_file(path, lenient=True, on_error=errors.append))
    except X12Error:
        return
    assert errors and all(isinstance(e, X12Error) for e in errors)
    assert all(e.position is not None for e in errors)
    assert claims == [] or all(isinstance(c, Claim) for c in claims)
