"""Streaming, sans-I/O 835 (005010X221A1) parser.

``Parser835.feed(chunk)`` takes bytes cut anywhere and returns every :class:`Remittance`
whose SE arrived in that chunk; only the transaction being read is held, so memory is
bounded by the largest ST/SE, not by the stream. A stream may hold several ISA, GS and ST.

``Parser835.feed_claims(chunk)`` (and :func:`iter_835_claims`) reads claim by claim instead,
for jobs that do not need a whole remittance at once: each claim comes as soon as its CLP
loop ends, as a :class:`RemittanceClaim` (the claim and the payment header it belongs to),
and each SE as a :class:`RemittanceEnd` (PLB, findings, the count and CLP04 sum of the claims
for the transaction balance). Memory is then bounded by one claim, whatever the ST/SE size.

The segments are read by the compiled core (``_core.Remit835Reader``), which checks every value
and hands over each remittance, claim or transaction end as the models themselves, built
without validating again (see :mod:`sdohedi.models.build`).

What goes wrong is reported in one of two ways:

* recoverable problems are :class:`Problem` objects: trailer counts or control numbers that
  do not match (SE01/SE02 in ``Remittance.findings``; GE/IEA in ``Parser835.findings``),
  unknown segments, segments out of place or with an id that is not one (skipped), and an
  element that cannot be read - a required one missing, an amount that is not a number, a
  date that is not a calendar date (rule ``element-missing``, ``invalid-decimal`` or
  ``invalid-date``, with the segment position, id and element). The value is then None and
  the claim, line or header is kept with the rest of what it holds; the other claims are
  unaffected. A REF, DTM, AMT, QTY or LQ that is left without its value says nothing and is
  dropped; a CAS or PLB amount of unknown reason, or a reason of unknown amount, is kept;
* a stream that cannot be read further raises :class:`Remit835Error` (or the
  :class:`X12SyntaxError` of the tokenizer): not X12 or not an 835, envelopes out of order or
  without GS06/ST02, a transaction without BPR/TRN/payer/payee, a truncated stream. The
  parser is then finished: every later call raises the same error.
  When the call that hits the error has already completed remittances, it returns them and
  the error is raised by the next call, so nothing read before the error is lost.

Segments that the TR3 allows but that these models do not keep (TS3, TS2, MIA, claim PER,
TA1) are read and dropped without a finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike

from .._core import Remit835Reader
from ..models.build import model_specs
from ..models.remit import (
    Address, Adjustment, ClaimPayment, Communication, Contact, OutpatientAdjudication, PartyName, Payee, Payer,
    ProcedureId, ProviderAdjustment, QualifiedAmount, QualifiedDate, QualifiedQuantity, Reference, Remark,
    Remittance, RemittanceClaim, RemittanceEnd, ServicePayment,
)
from ..problems import Problem
from ..x12 import READ_SIZE, X12SyntaxError

CHUNK_SIZE = READ_SIZE  # 64 KiB, see sdohedi.x12.tokenizer
VERSION = "005010X221A1"

# What the core builds; the first four in this order (rust/src/python/remit835.rs).
MODELS = model_specs([
    Remittance, ClaimPayment, RemittanceClaim, RemittanceEnd, Payer, Payee, Address, Reference, Contact,
    Communication, PartyName, OutpatientAdjudication, QualifiedDate, QualifiedAmount, QualifiedQuantity,
    ServicePayment, Adjustment, ProviderAdjustment, ProcedureId, Remark,
])


class Parser835:
    """Incremental 835 parser. See the module docstring for the error contract."""

    def __init__(self) -> None:
        self._core: Remit835Reader | None = None
        self._streaming: bool | None = None  # None until the first call decides
        self._closed = False

    @property
    def findings(self) -> list[Problem]:
        """Envelope-level findings (GS/GE, ISA/IEA); a transaction's are in ``Remittance.findings``."""
        return self._core.findings if self._core is not None else []

    def feed(self, chunk: bytes) -> list[Remittance]:
        """Every :class:`Remittance` whose SE is in ``chunk`` (whole transactions)."""
        return self._reader(False).feed(chunk)

    def close(self) -> list[Remittance]:
        """Read what is left and check that the stream ended where an interchange ends."""
        return self._close(False)

    def feed_claims(self, chunk: bytes) -> list[RemittanceClaim | RemittanceEnd]:
        """Claim by claim: a :class:`RemittanceClaim` for every CLP loop that ``chunk``
        completes and a :class:`RemittanceEnd` for every SE, in stream order.

        Only the claim being read is held (not the transaction), so memory is bounded by one
        claim plus what one chunk completes, however many claims an ST/SE holds. Claims,
        findings and provider adjustments are equal to those of :meth:`feed`; errors are the
        same too, except that a transaction without BPR/TRN/payer/payee fails at its first
        CLP (where the header is needed) instead of at its SE. Claims yielded before an error
        belong to a transaction that did not end: see :class:`RemittanceClaim`.
        A parser reads in one mode: calling :meth:`feed` after this (or the reverse) raises.
        """
        return self._reader(True).feed(chunk)

    def close_claims(self) -> list[RemittanceClaim | RemittanceEnd]:
        """:meth:`close` for :meth:`feed_claims`."""
        return self._close(True)

    def _reader(self, streaming: bool) -> Remit835Reader:
        if self._streaming is None:
            self._streaming = streaming
            self._core = Remit835Reader(MODELS, by_claim=streaming)
        elif self._streaming != streaming:
            raise RuntimeError("a Parser835 reads either by transaction (feed/close) or by claim "
                               "(feed_claims/close_claims), not both")
        core = self._core
        assert core is not None
        if self._closed:
            core.check()  # the error that finished the stream comes first
            raise X12SyntaxError("data fed after close()", rule="stream-closed")
        return core

    def _close(self, streaming: bool) -> list:
        out = self._reader(streaming).close()
        self._closed = True
        return out


def _parse_all(data: bytes, findings: list[Problem] | None, by_claim: bool) -> list:
    parser = Parser835()
    feed, close = (parser.feed_claims, parser.close_claims) if by_claim else (parser.feed, parser.close)
    out = feed(data)
    out += close()
    if findings is not None:
        findings.extend(parser.findings)
    return out


def _parse_path(path: str | PathLike[str], chunk_size: int, findings: list[Problem] | None,
                by_claim: bool) -> Iterator:
    parser = Parser835()
    feed, close = (parser.feed_claims, parser.close_claims) if by_claim else (parser.feed, parser.close)
    with open(path, "rb") as f:
        try:
            while chunk := f.read(chunk_size):
                yield from feed(chunk)
            yield from close()
        finally:
            if findings is not None:
                findings.extend(parser.findings)


def parse_835(data: bytes, findings: list[Problem] | None = None) -> list[Remittance]:
    """Every remittance in ``data`` (for tests and small files; streams use :class:`Parser835`)."""
    return _parse_all(data, findings, by_claim=False)


def parse_835_file(path: str | PathLike[str], *, chunk_size: int = CHUNK_SIZE,
                   findings: list[Problem] | None = None) -> Iterator[Remittance]:
    """Remittances of an 835 file, one ST/SE at a time, reading ``chunk_size`` bytes at a time.

    Envelope-level findings (GE/IEA counts and control numbers) are appended to ``findings``
    when a list is given; a transaction's own findings are in its ``Remittance.findings``.
    """
    return _parse_path(path, chunk_size, findings, by_claim=False)


def parse_835_claims(data: bytes, findings: list[Problem] | None = None) -> list[RemittanceClaim | RemittanceEnd]:
    """:func:`parse_835`, claim by claim (see :meth:`Parser835.feed_claims`)."""
    return _parse_all(data, findings, by_claim=True)


def iter_835_claims(path: str | PathLike[str], *, chunk_size: int = CHUNK_SIZE,
                    findings: list[Problem] | None = None) -> Iterator[RemittanceClaim | RemittanceEnd]:
    """:func:`parse_835_file`, claim by claim: memory is bounded by one claim (and one chunk),
    not by the largest ST/SE. Yields a :class:`RemittanceClaim` per CLP loop and a
    :class:`RemittanceEnd` per SE (see :meth:`Parser835.feed_claims`)."""
    return _parse_path(path, chunk_size, findings, by_claim=True)
