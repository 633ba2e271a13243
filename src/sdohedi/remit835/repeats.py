"""Remittances read twice in one run: the same interchange, or the same payment (trace number).

An interchange is known by its sender and control number (ISA06, ISA13), a payment by its
trace number and the payer that issued it (TRN02, TRN03). Seeing either again means the
output holds the same money twice (a file sent twice, or pasted into another), so each repeat
is a :class:`Problem` that points at the repeat and names where the first one was read.
"""

from __future__ import annotations

from ..models.remit import Remittance
from ..problems import Problem, problem


class RepeatedRemittances:
    """Remembers what :meth:`check` saw; one instance per run (all files of one command)."""

    def __init__(self) -> None:
        self._interchanges: dict[tuple, tuple[str, int | None]] = {}  # (ISA06, ISA13) -> first (file, ISA)
        self._traces: dict[tuple, tuple[str, int | None]] = {}  # (TRN03, TRN02) -> first (file, TRN)
        self._repeated: set[tuple[str, int | None]] = set()  # interchange occurrences already reported

    def check(self, remittance: Remittance, file: str) -> list[Problem]:
        """The findings for ``remittance`` (one ST/SE of ``file``, in reading order)."""
        return self.check_payment(
            file, sender=remittance.interchange_sender_id, interchange=remittance.interchange_control_number,
            group=remittance.group_control_number, transaction=remittance.transaction_control_number,
            interchange_position=remittance.interchange_position, trace_payer=remittance.trace_payer_id,
            trace=remittance.trace_number, trace_position=remittance.trace_position)

    def check_payment(self, file: str, *, sender: str | None, interchange: str | None, group: str | None,
                      transaction: str | None, interchange_position: int | None, trace_payer: str | None,
                      trace: str | None, trace_position: int | None) -> list[Problem]:
        """The findings for one payment (ST/SE) of ``file`` given by its envelope and TRN values
        (ISA06, ISA13, GS06, ST02, TRN03, TRN02 and where the ISA and TRN are), in reading order."""
        envelope = {"interchange": interchange, "group": group, "transaction": transaction}
        findings: list[Problem] = []
        here = (file, interchange_position)
        first = self._interchanges.setdefault((sender, interchange), here)
        repeated_interchange = first != here
        if repeated_interchange and here not in self._repeated:
            self._repeated.add(here)
            findings.append(problem(
                severity="error", rule="repeated-interchange",
                message=(f"the same interchange (sender ISA06 and ISA13) was already read in {_where(first, file)}; "
                         "its payments are in the output again"),
                position=interchange_position, segment="ISA", element=13, **envelope))
        if trace is not None:
            here_trace = (file, trace_position)
            first_trace = self._traces.setdefault((trace_payer, trace), here_trace)
            if first_trace != here_trace and not repeated_interchange:  # a repeated interchange said it already
                findings.append(problem(
                    severity="error", rule="repeated-trace",
                    message=(f"the same payment (TRN02 trace number of the same TRN03 payer) was already read in "
                             f"{_where(first_trace, file)}"),
                    position=trace_position, segment="TRN", element=2, **envelope))
        return findings


def _where(first: tuple[str, int | None], file: str) -> str:
    name, position = first
    at = f"segment #{position}" if position is not None else "a segment"
    return f"{at} of this file" if name == file else f"{name} ({at})"
