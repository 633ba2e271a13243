"""The 837P reader: streaming, envelopes, errors that name where (never what), lenient mode."""

import datetime as dt
from decimal import Decimal

import pytest

from factories import (
    CHILD, ENVELOPE, MEALS_CBO, MEMBER, MEMBER_2, PAYER_B, RECEIVER, RIDES_CBO, SUBMITTER, TIMESTAMP, claim,
    meal_line,
)
from pyx12_oracle import assert_pyx12_clean
from sdohedi.claims837p import ClaimNotRead, Reader837P, read_837p, read_837p_file, write_837p
from sdohedi.models import Claim, Subscriber
from sdohedi.x12 import X12EnvelopeError, X12Error, X12SyntaxError, X12ValueError

# PHI of the factories' members: none of it may appear in an error message.
PHI = ["RIVERA", "ANA", "MBR000111", "19580314", "1958", "NGUYEN", "MBR000222", "LUIS", "20120505", "12 OAK AVE"]


def encode(cs, **kw) -> bytes:
    out = []
    args = dict(submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE, interchange_control_number=101,
                group_control_number=55, timestamp=TIMESTAMP)
    args.update(kw)
    write_837p(cs, out.append, **args)
    return "".join(out).encode("ascii")


def read_all(data: bytes, *, lenient: bool = False) -> tuple[list[Claim], Reader837P]:
    reader = Reader837P(lenient=lenient)
    claims = reader.feed(data)
    claims += reader.close()
    return claims, reader


def no_phi(errors) -> None:
    for error in errors:
        for value in PHI:
            assert value not in str(error), (value, str(error))


def test_each_claim_comes_when_the_next_clm_hl_or_se_arrives():
    data = encode([claim("A1"), claim("A2"), claim("B1", subscriber=MEMBER_2)])
    text = data.decode()
    reader = Reader837P()
    second_clm = text.index("CLM*A2")
    assert reader.feed(text[:second_clm].encode()) == []  # A1 may still get lines
    assert reader.feed(text[second_clm:second_clm + 6].encode()) == []  # a segment is in at its terminator
    clm_end = text.index("~", second_clm) + 1
    assert [c.claim_id for c in reader.feed(text[second_clm + 6:clm_end].encode())] == ["A1"]
    next_hl = text.index("HL*3*")
    hl_end = text.index("~", next_hl) + 1
    assert [c.claim_id for c in reader.feed(text[clm_end:hl_end].encode())] == ["A2"]
    se_end = text.index("~", text.index("SE*")) + 1
    assert [c.claim_id for c in reader.feed(text[hl_end:se_end].encode())] == ["B1"]
    assert reader.feed(text[se_end:].encode()) == [] and reader.close() == []
    assert reader.claims_read == 3 and reader.errors == []


def test_claims_per_subscriber_patient_loops_and_parties():
    cs = [claim("A1"), claim("A2", rendering_provider=RIDES_CBO), claim("B1", subscriber=MEMBER_2, payer=PAYER_B),
          claim("C1", patient=CHILD), claim("C2", patient=CHILD, rendering_provider=None)]
    back, reader = read_all(encode(cs))
    assert back == cs
    assert back[3].patient == CHILD and back[3].subscriber == MEMBER


def test_one_header_per_transaction_set():
    cs = [claim(f"K{i}") for i in range(5)]
    reader = Reader837P()
    pairs = reader.feed_with_headers(encode(cs, max_claims_per_transaction=2)) + reader.close_with_headers()
    assert [c for _, c in pairs] == cs
    assert [h.transaction_control_number for h, _ in pairs] == ["0001", "0001", "0002", "0002", "0003"]
    header = pairs[0][0]
    assert (header.interchange_control_number, header.group_control_number, header.version) == (
        "000000101", "55", "005010X222A1")
    assert (header.sender_id, header.receiver_id, header.usage) == ("NLE001", "CHP01", "T")
    assert header.reference_id == "1010001" and header.created_date == dt.date(2026, 11, 2)
    assert header.submitter == SUBMITTER and header.receiver == RECEIVER
    assert reader.transactions == 3 and reader.header.transaction_control_number == "0003"


def test_several_groups_per_interchange_and_several_interchanges():
    one = encode([claim("G1")]).decode()
    # a second GS..GE in the same interchange: GS06/GE02 = 56, IEA01 = 2
    gs, iea = one.index("GS*"), one.index("IEA*")
    group2 = one[gs:iea].replace("*55*X*", "*56*X*").replace("GE*1*55", "GE*1*56").replace("CLM*G1", "CLM*G2")
    two_groups = one[:iea] + group2 + "IEA*2*000000101~\n"
    data = (two_groups + encode([claim("I2")], interchange_control_number=102).decode()).encode()
    reader = Reader837P()
    pairs = reader.feed_with_headers(data) + reader.close_with_headers()
    assert [c.claim_id for _, c in pairs] == ["G1", "G2", "I2"]
    assert [h.group_control_number for h, _ in pairs] == ["55", "56", "55"]
    assert [h.interchange_control_number for h, _ in pairs] == ["000000101", "000000101", "000000102"]
    assert reader.errors == []


def test_trailer_counts_that_do_not_match_are_reported_but_claims_are_read():
    text = encode([claim()]).decode()
    se_count = text.split("SE*")[1].split("*")[0]
    text = text.replace(f"SE*{se_count}*", f"SE*{int(se_count) + 1}*").replace("GE*1*55", "GE*2*55")
    back, reader = read_all(text.encode())
    assert back == [claim()]
    assert sorted(e.rule for e in reader.errors) == ["ge01-count", "se01-count"]
    assert {e.segment for e in reader.errors} == {"SE", "GE"}
    assert all(isinstance(e, X12EnvelopeError) for e in reader.errors)


def test_a_bad_value_skips_its_claim_only_and_says_where_not_what():
    text = encode([claim("A1"), claim("A2"), claim("A3", patient=CHILD)]).decode()
    # A2's first SV102 is not a number; the child's DMG date is not a date
    a2 = text.index("CLM*A2")
    sv1 = text.index("SV1*", a2)
    bad = text[:sv1] + text[sv1:].replace("*12.5*UN*", "*12.5X*UN*", 1)
    bad = bad.replace("DMG*D8*20120505*M", "DMG*D8*20121305*M")
    back, reader = read_all(bad.encode())
    assert [c.claim_id for c in back] == ["A1"]
    first, second = reader.errors
    assert isinstance(first, ClaimNotRead) and first.claim_ordinal == 2
    assert (first.segment, first.element, first.position) == ("SV1", 2, bad[:sv1].count("~") + 1)
    assert first.claim_position == bad[:a2].count("~") + 1
    assert isinstance(second, ClaimNotRead) and second.claim_ordinal == 3 and second.segment == "DMG"
    assert reader.claims_read == 1 and reader.claims_not_read == 2
    no_phi(reader.errors)


def test_pydantic_refusals_name_the_element_and_hide_the_value():
    # a member id of one character (Text(80, 2)), a sex code the TR3 does not have
    text = encode([claim()]).decode().replace("MI*MBR000111", "MI*X").replace("DMG*D8*19580314*F", "DMG*D8*19580314*Q")
    _, reader = read_all(text.encode())
    [error] = reader.errors
    message = str(error)
    assert "NM109 (member_id)" in message and "DMG03 (sex)" in message and "subscriber (2010BA" in message
    no_phi(reader.errors)
    assert "'X'" not in message and "Q" not in message.replace("required", "")


def test_subscriber_who_is_the_patient_needs_dmg():
    text = encode([claim()]).decode().replace("DMG*D8*19580314*F~\n", "")
    _, reader = read_all(text.encode())
    [error] = [e for e in reader.errors if isinstance(e, ClaimNotRead)]
    assert "2010BA needs DMG" in str(error)


def test_subscriber_without_dmg_when_the_patient_is_a_dependent():
    sub = Subscriber(member_id="MBR000111", last_name="RIVERA", first_name="ANA")
    c = claim(subscriber=sub, patient=CHILD)
    data = encode([c])
    assert b"DMG*D8*1958" not in data
    assert_pyx12_clean(data)
    assert read_all(data)[0] == [c]


def test_limits_hold_when_reading():
    lines = [meal_line(i, 1 + i % 28, "1") for i in range(50)]
    text = encode([claim(lines=lines)]).decode()
    # a 51st line and a 13th diagnosis, appended by hand
    extra = "LX*51~\nSV1*HC:S5170*1*UN*1***1~\nDTP*472*D8*20261003~\n"
    se = text.index("SE*")
    too_many_lines = text[:se] + extra + text[se:]
    _, reader = read_all(too_many_lines.encode())
    assert [e.rule for e in reader.errors][0] == "line-count"
    hi = "HI*ABK:Z5941*ABF:Z59869"
    thirteen = hi + "".join(f"*ABF:Z{n}" for n in range(5900, 5911))
    _, reader = read_all(text.replace(hi, thirteen).encode())
    assert "more than 12 diagnoses" in str(reader.errors[0])


def test_total_must_equal_the_lines():
    text = encode([claim()]).decode().replace("CLM*CLM1001*50*", "CLM*CLM1001*51*")
    _, reader = read_all(text.encode())
    assert "CLM02" in str(reader.errors[0])


def test_a_2420a_equal_to_2310b_is_read_as_none_and_a_different_one_is_kept():
    c = claim(lines=[meal_line(1), meal_line(2).model_copy(update={"rendering_provider": RIDES_CBO})])
    data = encode([c]).decode()
    assert data.count("NM1*82*") == 2
    assert_pyx12_clean(data)
    assert read_all(data.encode())[0] == [c]
    # the same provider as 2310B, sent again on line 1 (the TR3 says not to): no information lost
    ref = "REF*6R*SVC-1~\n"
    repeated = data.replace(ref, ref + "NM1*82*2*GOOD FOOD KITCHEN~\nPRV*PE*PXC*332U00000X~\nREF*G2*CBO-MEALS-1~\n")
    [back], _ = read_all(repeated.encode())
    assert back.lines[0].rendering_provider is None and back.rendering_provider == MEALS_CBO
    with pytest.raises(ValueError, match="only when it differs"):
        claim(lines=[meal_line(1).model_copy(update={"rendering_provider": MEALS_CBO})])


# --------------------------------------------------------------------------- lenient


def _bad_npi(text: str) -> str:
    return text.replace("XX*1245319599", "XX*1245319590")  # RIDES_CBO's NPI, last digit broken


def test_strict_refuses_what_only_a_lenient_read_accepts():
    data = _bad_npi(encode([claim(rendering_provider=RIDES_CBO)]).decode()).encode()
    back, reader = read_all(data)
    assert back == [] and "lenient" in str(reader.errors[0]) and "NPI" in str(reader.errors[0])
    [lenient], reader = read_all(data, lenient=True)
    assert reader.errors == []
    assert lenient.deviations == ("npi-check-digit",) and lenient.rendering_provider.npi == "1245319590"
    with pytest.raises(X12ValueError) as caught:
        write_837p([lenient], [].append, submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE,
                   interchange_control_number=1, group_control_number=1)
    assert caught.value.rule == "lenient-claim"


@pytest.mark.parametrize("edit, deviation", [
    (lambda t: t.replace("CLM*CLM1001*", "CLM*CLM1001-2026-11-ABCDEFGH*"), "claim-id-length"),
    (lambda t: t.replace(":B:1*", ":B:6*"), "frequency-code"),
    (lambda t: t.replace("REF*6R*SVC-2", "REF*6R*SVC-1"), "line-control-number"),
    (lambda t: t.replace("REF*6R*SVC-2", "REF*6R*SVC-2-" + "X" * 30), "line-control-number"),
    (lambda t: t.replace("N3*100 MAIN ST", "N3*PO BOX 100"), "billing-provider-po-box"),
    (lambda t: t.replace("PRV*BI*PXC*251V00000X", "PRV*BI*PXC*203BF0100Y"), "taxonomy-format"),
])
def test_each_lenient_deviation(edit, deviation):
    data = edit(encode([claim()]).decode()).encode()
    assert read_all(data)[0] == []
    [c], reader = read_all(data, lenient=True)
    assert reader.errors == [] and c.deviations == (deviation,)
    with pytest.raises(ValueError):
        Claim.model_validate(c.model_dump())  # strict validation refuses it too


def test_lenient_still_holds_the_tr3_limits():
    text = encode([claim()]).decode()
    _, reader = read_all(text.replace("CLM*CLM1001*", "CLM*" + "X" * 39 + "*").encode(), lenient=True)
    assert "CLM01" in str(reader.errors[0])


# ------------------------------------------------------------------------ fatal errors


@pytest.mark.parametrize("data, error, rule", [
    (b"", X12SyntaxError, "isa-missing"),
    (b"hello, world", X12SyntaxError, "isa-missing"),
    (b"ISA*00*", X12SyntaxError, "isa-fixed-length"),
])
def test_not_x12(data, error, rule):
    reader = Reader837P()
    with pytest.raises(error) as caught:
        reader.feed(data)
        reader.close()
    assert caught.value.rule == rule
    with pytest.raises(error):  # the reader is finished
        reader.feed(b"ISA")


@pytest.mark.parametrize("old, new, rule", [
    ("ST*837*", "ST*835*", "transaction-not-supported"),
    ("X*005010X222A1~\nST", "X*005010X223A2~\nST", "group-version-not-supported"),
    ("GS*HC*", "GS*HP*", "group-not-supported"),
    ("SE*", "XX*", "envelope-nesting"),  # GE before SE
])
def test_not_an_837p(old, new, rule):
    text = encode([claim()]).decode().replace(old, new, 1)
    with pytest.raises(X12EnvelopeError) as caught:
        read_all(text.encode())
    assert caught.value.rule == rule


def test_claims_before_a_fatal_error_are_returned_then_it_is_raised():
    data = encode([claim("A1"), claim("A2")]) + encode([claim("B1")], interchange_control_number=102).replace(
        b"ST*837*", b"ST*835*")
    reader = Reader837P()
    assert [c.claim_id for c in reader.feed(data)] == ["A1", "A2"]
    with pytest.raises(X12EnvelopeError):
        reader.close()


def test_truncated_stream():
    data = encode([claim("A1"), claim("A2")])
    cut = data[: data.index(b"~", data.index(b"CLM*A2")) + 20]  # inside A2's first LX/SV1
    reader = Reader837P()
    assert [c.claim_id for c in reader.feed(cut)] == ["A1"]
    with pytest.raises(X12SyntaxError):
        reader.close()
    whole_segments = data[: data.index(b"SE*")]
    reader = Reader837P()
    reader.feed(whole_segments)
    with pytest.raises(X12EnvelopeError):  # A2 never completes: no SE, no IEA
        reader.close()


def test_segment_without_terminator_is_refused_not_buffered_forever():
    reader = Reader837P()
    data = encode([claim()])
    reader.feed(data[:200])
    with pytest.raises(X12SyntaxError) as caught:
        for _ in range(40):
            reader.feed(b"A" * 65536)
    assert caught.value.rule == "segment-length"


def test_read_837p_raises_the_first_claim_error_after_the_claims_before_it(tmp_path):
    text = encode([claim("A1"), claim("A2"), claim("A3")]).decode().replace("CLM*A2*50*", "CLM*A2*5*")
    path = tmp_path / "claims.837"
    path.write_text(text)
    got = []
    with pytest.raises(ClaimNotRead):
        for c in read_837p_file(path):
            got.append(c.claim_id)
    assert got == ["A1"]
    errors = []
    assert [c.claim_id for c in read_837p_file(path, on_error=errors.append)] == ["A1", "A3"]
    assert len(errors) == 1
    assert [c.claim_id for c in read_837p([text.encode()], on_error=lambda e: None)] == ["A1", "A3"]


def test_blank_lines_crlf_and_padding_between_segments():
    text = encode([claim("A1"), claim("A2")]).decode()
    messy = "\ufeff".encode("utf-8") + text.replace("~\n", "~\r\n").replace("~\r\nLX", "~\r\n\r\n  LX").encode()
    back, reader = read_all(messy + b"\x00\x00\x1a")
    assert [c.claim_id for c in back] == ["A1", "A2"] and reader.errors == []


def test_every_blank_before_every_segment_id_is_dropped_by_the_core():
    """Space, tab, VT and FF before each id: the core drops them (the reader has no branch for them)."""
    text = encode([claim("A1"), claim("A2")])
    messy = text.replace(b"~", b"~ \t\x0b\x0c")
    back, reader = read_all(messy)
    assert back == read_all(text)[0] and [c.claim_id for c in back] == ["A1", "A2"] and reader.errors == []


def test_units_and_amounts_keep_their_value():
    c = claim(lines=[meal_line(1, charge="1234567.89", units="0.25"), meal_line(2, charge="0", units="96")])
    [back], _ = read_all(encode([c]))
    assert [ln.charge for ln in back.lines] == [Decimal("1234567.89"), Decimal("0")]
    assert [ln.units for ln in back.lines] == [Decimal("0.25"), Decimal("96")]
    assert back.total_charge == Decimal("1234567.89")


def test_errors_are_x12_errors_with_a_location():
    text = encode([claim()]).decode().replace("LX*1~\nSV1", "LX*1~\nSV2")
    _, reader = read_all(text.encode())
    assert all(isinstance(e, X12Error) and e.loc for e in reader.errors)
    assert "without SV1" in str(reader.errors[0])


# (what is replaced in the written claim, by what, the Text rule, the value read back)
_TEXT_FIELDS = [
    ("NM1*IL*1*RIVERA*", "NM1*IL*1*{}*", (60, 1), lambda c: c.subscriber.last_name),
    ("*RIVERA*ANA*", "*RIVERA*{}*", (35, 1), lambda c: c.subscriber.first_name),
    ("*MI*MBR000111~", "*MI*{}~", (80, 2), lambda c: c.subscriber.member_id),
    ("N3*12 OAK AVE~\nN4*SALEM*OR*97301~\nDMG*D8*19580314", "N3*{}~\nN4*SALEM*OR*97301~\nDMG*D8*19580314", (55, 1),
     lambda c: c.subscriber.address.line1),
    ("N4*SALEM*OR*97301~\nDMG*D8*2012", "N4*{}*OR*97301~\nDMG*D8*2012", (30, 2), lambda c: c.patient.address.city),
    ("NM1*QC*1*RIVERA*", "NM1*QC*1*{}*", (60, 1), lambda c: c.patient.last_name),
    ("CLM*A1*", "CLM*{}*", (20, 1), lambda c: c.claim_id),
    ("REF*6R*SVC-2~", "REF*6R*{}~", (30, 1), lambda c: c.lines[1].line_control_number),
    ("REF*G2*CBO-MEALS-1~", "REF*G2*CBO-MEALS-1~\nREF*G1*{}~", (50, 1), lambda c: c.prior_authorization),
]


@pytest.mark.parametrize("old, new, rule, read_back", _TEXT_FIELDS, ids=[f[0][:12] for f in _TEXT_FIELDS])
def test_texts_read_as_pydantic_validates_them(old, new, rule, read_back):
    """Whichever way the core builds a claim (unchecked when its own checks pass, else by
    pydantic), a text of any shape in a field it checks reads as Text itself takes it: kept as
    pydantic keeps it, or the claim not read."""
    import random

    from pydantic import TypeAdapter

    from factories import CHILD
    from sdohedi.models.fields import Text

    base = encode([claim("A1", patient=CHILD)]).decode()
    if old.startswith("REF*G2*CBO"):  # REF*G1 goes in 2300, before its 2310B
        base = base.replace("HI*ABK", "REF*G1*{}~\nHI*ABK").replace("SE*42*", "SE*43*")
        old, new = "", ""
    assert old == "" or base.count(old) == 1
    adapter = TypeAdapter(Text(*rule))
    rnd = random.Random(rule[0] * 7 + len(old))
    alphabet = [chr(c) for c in range(32, 127) if chr(c) not in "*:^~"] + ["\u00e9", "\u00a0", "\x01", "\t"]
    for _ in range(400):
        n = rnd.choice([0, 1, 2, 3, rule[0] - 1, rule[0], rule[0] + 1, rnd.randint(0, rule[0] + 2)])
        pool = alphabet if rnd.random() < 0.3 else "AZ az09 -#"
        value = "".join(rnd.choice(pool) for _ in range(n))
        text = base.replace(old, new.format(value)) if old else base.format(value)
        try:
            expected = adapter.validate_python(value)
        except ValueError:
            expected = None
        if value == "" and "ANA" in old:  # NM104 left empty is no first name
            expected = ""
        reader = Reader837P()
        claims = reader.feed(text.encode("latin-1")) + reader.close()
        if expected is None:
            assert claims == [] and len(reader.errors) == 1, repr(value)
        else:
            assert reader.errors == [] and len(claims) == 1, repr(value)
            assert read_back(claims[0]) == (expected or None), repr(value)
            assert Claim.model_validate(claims[0].model_dump()) == claims[0]


def test_a_repeated_hi_of_another_kind_is_read_past():
    # An HI that is not a diagnosis HI (here occurrence codes, BH) is not kept. Its parse is
    # cached as "another kind"; the second claim that sends the same text once crashed the
    # reader (IndexError) instead of reading past it.
    claims = [claim("A1"), claim("A2")]
    hi = "HI*ABK:Z5941*ABF:Z59869~\n"
    text = encode(claims).decode()
    assert text.count(hi) == 2
    text = text.replace(hi, hi + "HI*BH:A1:D8:20260101~\n")
    se_count = text[text.index("SE*") + 3:].split("*")[0]
    text = text.replace(f"SE*{se_count}*", f"SE*{int(se_count) + 2}*")
    back, reader = read_all(text.encode())
    assert back == claims and reader.errors == []


@pytest.mark.parametrize("line", [1, 2, 3])
def test_a_service_line_without_sv1_is_named_at_its_lx(line):
    text = encode([claim("A1"), claim("A2")]).decode()
    segments = text.split("~\n")
    a1 = segments.index("CLM*A1*50***12:B:1*Y*A*Y*Y")
    lx = segments.index(f"LX*{line}", a1)
    assert segments[lx + 1].startswith("SV1*")
    del segments[lx + 1]  # the SV1 of A1's line; SE01 left as it was: both claims are counted alike
    claims, reader = read_all("~\n".join(segments).encode())
    assert [c.claim_id for c in claims] == ["A2"]
    [error] = [e for e in reader.errors if isinstance(e, ClaimNotRead)]
    assert "without SV1" in str(error) and error.segment == "LX" and error.rule == "segment-missing"
    assert error.position == lx + 1 and error.claim_position == a1 + 1  # positions count from 1


def test_an_lx_after_an_sv1_that_cannot_be_read_names_the_sv1():
    text = encode([claim("A1")]).decode().replace("LX*1~\nSV1*HC:", "LX*1~\nSV1*XX:", 1)
    _, reader = read_all(text.encode())
    [error] = [e for e in reader.errors if isinstance(e, ClaimNotRead)]
    assert error.segment == "SV1" and "SV101-1" in str(error)


def test_an_address_sent_n4_first_keeps_the_models_field_order():
    # N4 before N3 is out of the TR3's order but read; the Address must still dump as a validated one
    text = encode([claim("A1"), claim("A2", patient=CHILD)]).decode()
    n3_n4 = "N3*12 OAK AVE~\nN4*SALEM*OR*97301~\n"
    assert text.count(n3_n4) == 3
    claims, reader = read_all(text.replace(n3_n4, "N4*SALEM*OR*97301~\nN3*12 OAK AVE~\n").encode())
    assert reader.errors == [] and len(claims) == 2
    for c in claims:
        validated = Claim.model_validate(c.model_dump())
        assert c.model_dump_json() == validated.model_dump_json()
