"""The error an 835 reader raises when it cannot go on."""

from __future__ import annotations

from ..x12 import X12Error


class Remit835Error(X12Error):
    """An 835 stream cannot be read further: it is not an 835, an envelope is broken, a
    required segment or element is missing, or a number or date is unreadable.

    Recoverable problems (trailer counts, unknown segments, balancing) are reported as
    :class:`sdohedi.models.remit.Finding` instead. Like every :class:`X12Error`, the message
    names the segment position, id and element, never the value.
    """
