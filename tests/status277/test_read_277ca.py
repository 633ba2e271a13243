"""Reading the corpus 277CAs; expected values written by hand from the raw files."""

import datetime as dt
from decimal import Decimal

from conftest import CORPUS
from sdohedi.status277 import read_277ca
from sdohedi.x12 import read_chunks

FOLDER = CORPUS / "277ca"


def read(name, chunk=None):
    with open(FOLDER / name, "rb") as f:
        return read_277ca(read_chunks(f, chunk) if chunk else [f.read()])


def test_accepted_claim():
    for status in (read("imsweb-x12_277CA_accepted.txt"), read("imsweb-x12_277CA_accepted.txt", chunk=11)):
        (c,) = status.claims
        assert c.patient_control_number == "5781"  # TRN*2 at the patient level: our CLM01
        assert (c.status, c.categories) == ("accepted", ("A2",))
        (r,) = c.reports
        (code,) = r.codes
        assert (code.category, code.code, code.entity) == ("A2", "20", None)
        assert (r.date, r.action, r.charge) == (dt.date(2011, 3, 11), "WQ", Decimal("125"))
        assert c.payer_claim_number == "1107000000014420"
        assert c.billing_provider_id == "1234567890"
        assert c.service_date_start == c.service_date_end == dt.date(1001, 1, 1)
        assert c.total_charge == Decimal("125") and c.lines == ()
        receiver, provider = status.levels
        assert (receiver.level, receiver.trace, receiver.identifier) == ("receiver", "000000674", "ETIN")
        assert (receiver.reports[0].codes[0].category, receiver.accepted_quantity, receiver.accepted_amount) == \
            ("A1", 1, Decimal("125.0"))
        assert (provider.level, provider.trace, provider.reports) == ("provider", "1107000000000135FF", ())
        # Read anyway: the provider level lacks its STC, and DTP*472 holds 10010101 (year 1001).
        assert [(f.rule, f.location.position) for f in status.findings] == [("segment-missing", 19),
                                                                            ("invalid-date", 24)]


def test_rejected_claim_with_entity_and_pipe_component_separator():
    status = read("imsweb-x12_277CA_rejected.txt")
    (c,) = status.claims
    assert c.patient_control_number == "3920394930203"
    assert (c.status, c.categories) == ("rejected", ("A7",))
    (code,) = c.reports[0].codes
    assert (code.category, code.code, code.entity, code.category_meaning) == \
        ("A7", "562", "85", "rejected, invalid information")
    assert c.reports[0].charge == Decimal("199.14")
    assert c.payer_claim_number == "1107000000001120"
    assert c.billing_provider_id == "123456789"
    assert c.service_date_start == dt.date(2009, 3, 11)
    assert status.claim("3920394930203") is c and status.claim("5781") is None
    assert [f.rule for f in status.findings] == ["segment-missing"]


def test_service_lines_and_several_status_codes():
    data = (FOLDER / "imsweb-x12_277CA_accepted.txt").read_text()
    data = data.replace(
        "DTP*472*D8*10010101~\n",
        "DTP*472*RD8*20110301-20110305~\nSVC*HC:S5170:U6*12.5****2~\nSTC*A3:21:85*20110311*U*12.5*******A6:35~\n"
        "REF*FJ*SVC-1~\nDTP*472*D8*20110302~\n",
    ).replace("SE*23*", "SE*27*")
    status = read_277ca([data.encode()])
    (c,) = status.claims
    assert (c.service_date_start, c.service_date_end) == (dt.date(2011, 3, 1), dt.date(2011, 3, 5))
    (line,) = c.lines
    assert (line.procedure, line.charge, line.line_item_control_number, line.service_date) == \
        ("HC:S5170:U6", Decimal("12.5"), "SVC-1", dt.date(2011, 3, 2))
    assert line.status == "rejected"
    assert [(s.category, s.code, s.entity) for s in line.reports[0].codes] == [("A3", "21", "85"), ("A6", "35", None)]
    assert c.status == "accepted"  # the claim's own STC is A2; one line was rejected
