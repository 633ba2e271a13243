"""Properties of the 837P reader: decode(encode(claims)) == claims, at any chunking; any bytes
give claims or a typed X12Error; every claim returned is one full validation would build."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import cut_at
from factories import ENVELOPE, RECEIVER, SUBMITTER, TIMESTAMP
from pyx12_oracle import assert_pyx12_clean
from strategies import claims, renderers, text
from sdohedi.claims837p import Reader837P, write_837p
from sdohedi.models import Claim
from sdohedi.models.fields import LENIENT_CONTEXT
from sdohedi.x12 import X12Error

SETTINGS = dict(deadline=dt.timedelta(seconds=20),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ICD9 = ["4779", "2724", "V7389", "E8888", "25000", "496", "0340", "53081", "V700", "E9500", "78900", "2859"]


def encode(cs, **kw) -> bytes:
    out = []
    args = dict(submitter=SUBMITTER, receiver=RECEIVER, envelope=ENVELOPE, interchange_control_number=7,
                group_control_number=3, timestamp=TIMESTAMP)
    args.update(kw)
    write_837p(cs, out.append, **args)
    return "".join(out).encode("ascii")


def decode(data: bytes, cuts=(), *, lenient: bool = False) -> tuple[list[Claim], Reader837P]:
    reader = Reader837P(lenient=lenient)
    out = []
    for chunk in cut_at(data, cuts):
        out += reader.feed(chunk)
    out += reader.close()
    return out, reader


def assert_fully_valid(claim: Claim, lenient: bool) -> None:
    """The claim is what pydantic itself builds from its values (the fast path took no shortcut)."""
    assert isinstance(claim, Claim)
    again = Claim.model_validate(claim.model_dump(), context=LENIENT_CONTEXT if lenient else None)
    assert again == claim
    if not lenient:
        assert claim.deviations == ()


@st.composite
def wide_claims(draw):
    """claims() with the fields our own encode pipeline leaves at their defaults varied too:
    ICD-9 (BK), minutes (MJ), REF*6R absent, 2420A, individual billing provider, SSN, LU, XV,
    subscriber without DMG under a patient, CLM06-09, SBR01, rendering without PRV."""
    base = draw(claims())
    d = base.model_dump()
    del d["deviations"]
    if draw(st.booleans()):
        d["diagnosis_code_qualifier"] = "BK"
        n = len(d["diagnoses"])
        d["diagnoses"] = draw(st.lists(st.sampled_from(ICD9), min_size=n, max_size=n, unique=True))
    d["provider_signature"] = draw(st.sampled_from("NY"))
    d["assignment_participation"] = draw(st.sampled_from("ABC"))
    d["benefits_assignment"] = draw(st.sampled_from("NWY"))
    d["release_of_information"] = draw(st.sampled_from("IY"))
    bp = d["billing_provider"]
    if draw(st.booleans()):
        bp["entity_type"], bp["first_name"] = "1", draw(st.none() | text(1, 12))
    bp["tax_id_qualifier"] = draw(st.sampled_from(["EI", "SY"]))
    bp["payer_assigned_id_qualifier"] = draw(st.sampled_from(["G2", "LU"]))
    d["payer"]["payer_id_qualifier"] = draw(st.sampled_from(["PI", "XV"]))
    d["subscriber"]["payer_responsibility"] = draw(st.sampled_from("ABCDEFGHPSTU"))
    if d["patient"] is not None and draw(st.booleans()):
        d["subscriber"]["birth_date"] = d["subscriber"]["sex"] = None
    rp = d["rendering_provider"]
    if rp is not None:
        if draw(st.booleans()):
            rp["taxonomy"] = None
        rp["secondary_id_qualifier"] = draw(st.sampled_from(["0B", "1G", "G2", "LU"]))
    for ln in d["lines"]:
        ln["unit_basis"] = draw(st.sampled_from(["UN", "MJ"]))
        if draw(st.booleans()):
            ln["line_control_number"] = None
        ln["place_of_service"] = draw(st.none() | st.sampled_from(["02", "11", "12", "99"]))
        if draw(st.integers(0, 3)) == 0:
            other = draw(renderers.filter(lambda r: r is not None and r != base.rendering_provider))
            ln["rendering_provider"] = other.model_dump()
    return Claim.model_validate(d)


@settings(max_examples=150, **SETTINGS)
@given(st.lists(claims(), min_size=1, max_size=6), st.lists(st.integers(0, 20000), max_size=8),
       st.integers(1, 3))
def test_decode_of_encode_is_identity(cs, cuts, per_transaction):
    data = encode(cs, max_claims_per_transaction=per_transaction)
    back, reader = decode(data, cuts)
    assert back == cs
    assert reader.errors == []
    assert reader.transactions == -(-len(cs) // per_transaction)
    for claim in back:
        assert_fully_valid(claim, lenient=False)


@settings(max_examples=150, **SETTINGS)
@given(st.lists(wide_claims(), min_size=1, max_size=5), st.lists(st.integers(0, 20000), max_size=5))
def test_decode_of_encode_is_identity_for_every_field(cs, cuts):
    back, reader = decode(encode(cs), cuts)
    assert back == cs
    assert reader.errors == []
    for claim in back:
        assert_fully_valid(claim, lenient=False)


@settings(max_examples=20, **SETTINGS)
@given(st.lists(wide_claims(), min_size=1, max_size=4))
def test_what_the_models_now_hold_is_written_pyx12_clean(cs):
    assert_pyx12_clean(encode(cs))


def _other_delimiters(data: bytes) -> bytes:
    """The same interchange with element GS (0x1D), component US (0x1F) and terminator RS
    (0x1E): none can be in a value, so a plain translation is exact (ISA stays 106 wide)."""
    return data.translate(bytes.maketrans(b"*:~", b"\x1d\x1f\x1e"))


@settings(max_examples=40, **SETTINGS)
@given(st.lists(claims(), min_size=1, max_size=3), st.lists(claims(), min_size=1, max_size=3),
       st.lists(st.integers(0, 20000), max_size=6))
def test_several_interchanges_with_their_own_delimiters(first, second, cuts):
    data = encode(first) + b"\r\n" + _other_delimiters(encode(second, interchange_control_number=8))
    reader = Reader837P()
    pairs = []
    for chunk in cut_at(data, cuts):
        pairs += reader.feed_with_headers(chunk)
    pairs += reader.close_with_headers()
    assert [c for _, c in pairs] == first + second
    assert [h.interchange_control_number for h, _ in pairs] == ["000000007"] * len(first) + ["000000008"] * len(second)
    assert reader.errors == []


# -------------------------------------------------------------------------- any bytes


def _read_anything(data: bytes, cuts, lenient: bool) -> list[Claim]:
    reader = Reader837P(lenient=lenient)
    got = []
    try:
        for chunk in cut_at(data, cuts):
            got += reader.feed(chunk)
        got += reader.close()
    except X12Error:
        pass  # the one exception allowed; claims returned before it stay valid
    for error in reader.errors:
        assert isinstance(error, X12Error)
    for claim in got:
        assert_fully_valid(claim, lenient)
    return got


@settings(max_examples=300, **SETTINGS)
@given(st.binary(max_size=2000), st.lists(st.integers(0, 2000), max_size=4), st.booleans())
def test_random_bytes_give_claims_or_a_typed_error(data, cuts, lenient):
    _read_anything(data, cuts, lenient)


BYTES = b"*:~^\n\r 0123456789ABCDEFGHILMNPRSTUVXYZ-.\x00\xff"


@st.composite
def mangled(draw):
    """A valid stream hit by a few random edits (bytes replaced, spans deleted, duplicated or
    moved, segments swapped, the end cut off)."""
    data = bytearray(encode(draw(st.lists(st.one_of(claims(), wide_claims()), min_size=1, max_size=3))))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["replace", "delete", "insert", "duplicate", "swap", "truncate"]))
        # mostly past the fixed-width ISA, or nearly every example would stop there
        low = 0 if draw(st.integers(0, 9)) == 0 else min(len(data), 120)
        i = draw(st.integers(low, len(data)))
        j = min(len(data), i + draw(st.integers(0, 60)))
        if kind == "replace" and i < len(data):
            data[i] = draw(st.sampled_from(BYTES))
        elif kind == "delete":
            del data[i:j]
        elif kind == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "duplicate":
            data[i:i] = data[i:j]
        elif kind == "swap":
            segments = bytes(data).split(b"~\n")
            a = draw(st.integers(0, len(segments) - 1))
            b = draw(st.integers(0, len(segments) - 1))
            segments[a], segments[b] = segments[b], segments[a]
            data = bytearray(b"~\n".join(segments))
        elif kind == "truncate":
            del data[i:]
    return bytes(data)


@settings(max_examples=400, **SETTINGS)
@given(mangled(), st.lists(st.integers(0, 20000), max_size=4), st.booleans())
def test_mangled_streams_give_claims_or_a_typed_error(data, cuts, lenient):
    _read_anything(data, cuts, lenient)


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_every_chunk_size_reads_the_same(size):
    from factories import CHILD, MEMBER_2, claim

    cs = [claim("A1"), claim("A2"), claim("B1", subscriber=MEMBER_2), claim("C1", patient=CHILD)]
    data = encode(cs, max_claims_per_transaction=3)
    back, reader = decode(data, range(size, len(data), size))
    assert back == cs and reader.errors == []
