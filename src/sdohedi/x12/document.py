"""Lossless X12 documents: read any interchange, navigate its loops, edit values, write it back.

The compiled core (rust/src/document.rs) keeps every byte of the input: each segment's text,
what follows it up to the next (its terminator, line breaks, blanks), the bytes before the first
segment (a byte-order mark) and, when the tokenizer stopped on a broken rule, the rest it could
not read (:attr:`Document.tail`, with :attr:`Document.failure`). ``to_bytes()`` is the input
again, byte for byte, until a value is set; setting one re-renders only that segment, with the
delimiters of its interchange.

Each segment is placed by the guide walker (the one ``GuideWalker`` and the validator use), so a
document is a tree of loop instances: interchange (``ISA_LOOP``) -> group (``GS_LOOP``) ->
transaction set (``ST_LOOP``) -> the guide's loops -> segments. A segment the guide has no
place for stays in the loop it was met in, with its problem (:attr:`Segment.problems`); a group
whose guide the core lacks still has its envelope levels.

:func:`iter_documents` reads a file a chunk at a time and yields one document per transaction
set and per stretch of envelope between them (their bytes, concatenated, are the file's), so
memory is bounded by one transaction set; :func:`iter_transactions` yields the transaction
sets alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path

from .. import _core
from ..files import atomic_write
from ..problems import Problem, problem
from .delimiters import Delimiters
from .errors import X12ValueError
from .tokenizer import READ_SIZE

__all__ = ["Document", "Loop", "Segment", "iter_documents", "iter_transactions", "read_document"]

Source = str | os.PathLike[str] | bytes

# After the segment's id in 'CLM01', 'SV101-2', 'SV101-02': the element, the optional component
_REFERENCE = re.compile(r"(\d{2})(?:-(\d{1,2}))?")


def read_document(source: Source) -> Document:
    """The whole of ``source`` (a path or the bytes) as one document. A broken syntax rule is
    not raised: it is the document's :attr:`~Document.failure`, and what follows it the
    :attr:`~Document.tail` (all of it, with no segment, when the bytes are not X12 at all)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return Document(_core.read_document(bytes(source)))
    path = Path(source)
    return Document(_core.read_document(path.read_bytes()), file=str(path))


def iter_documents(source: Source | Iterable[bytes], *, read_size: int = READ_SIZE) -> Iterator[Document]:
    """The documents of a stream, one per transaction set (ST..SE and what trails it) and one per
    stretch of envelope between them, in order: their ``to_bytes()`` concatenated are the
    stream's bytes. ``source`` is a path, the bytes, or an iterable of byte chunks."""
    file = None
    if isinstance(source, bytes | bytearray | memoryview):
        chunks: Iterable[bytes] = [bytes(source)]
    elif isinstance(source, str | os.PathLike):
        file = str(source)
        chunks = _read_chunks(Path(source), read_size)
    else:
        chunks = source
    reader = _core.DocumentReader(split=True)
    envelope: dict[str, Segment] = {}
    for chunk in chunks:
        for core in reader.feed(chunk):
            yield _part(core, envelope, file)
    for core in reader.close():
        yield _part(core, envelope, file)


def iter_transactions(source: Source | Iterable[bytes], *, read_size: int = READ_SIZE) -> Iterator[Loop]:
    """Each transaction set of a stream (its ``ST_LOOP`` instance), one in memory at a time. Its
    :attr:`Loop.document` holds it alone; ``document.envelope`` the ISA and GS it lies in. A
    broken syntax rule is raised (:class:`~sdohedi.x12.X12SyntaxError`) once the transaction
    sets before it are out."""
    failure = None
    for doc in iter_documents(source, read_size=read_size):
        failure = failure or doc.failure
        if doc.is_transaction:
            yield from doc.transactions
    if failure is not None:
        raise failure


def _read_chunks(path: Path, size: int) -> Iterator[bytes]:
    with path.open("rb") as f:
        yield from iter(lambda: f.read(size), b"")


def _part(core: _core.Document, envelope: dict[str, Segment], file: str | None) -> Document:
    doc = Document(core, file=file)
    doc.envelope = tuple(envelope[k] for k in ("ISA", "GS") if k in envelope)
    if not doc.is_transaction:  # the envelope segments are in these stretches (few segments)
        for seg in doc.segments:
            if seg.id in ("ISA", "GS"):
                if seg.id == "ISA":
                    envelope.clear()
                envelope[seg.id] = seg
            elif seg.id == "GE":
                envelope.pop("GS", None)
            elif seg.id == "IEA":
                envelope.clear()
    return doc


class Document:
    """A lossless document (see the module's text). Its segments and loops are made on first use."""

    def __init__(self, core: _core.Document, *, file: str | None = None) -> None:
        self._core = core
        self.file = file
        # The ISA and GS segments this document lies in, when it is a part of a split stream.
        self.envelope: tuple[Segment, ...] = ()

    def __len__(self) -> int:
        return len(self._core)

    def __repr__(self) -> str:
        return f"Document(segments={len(self)}, loops={len(self.all_loops)})"

    @property
    def is_transaction(self) -> bool:
        """Whether this is one transaction set of a split stream (:func:`iter_documents`)."""
        return self._core.transaction

    @property
    def head(self) -> bytes:
        """The bytes before the first segment (a byte-order mark, blanks)."""
        return self._core.head()

    @property
    def tail(self) -> bytes:
        """The bytes the tokenizer could not read (empty unless :attr:`failure`)."""
        return self._core.tail()

    @property
    def failure(self):
        """The :class:`~sdohedi.x12.X12SyntaxError` that stopped the tokenizer, or None."""
        return self._core.failure

    @cached_property
    def segments(self) -> list[Segment]:
        """Every segment, in order."""
        return [Segment(self, i, row) for i, row in enumerate(self._core.segments())]

    @cached_property
    def all_loops(self) -> list[Loop]:
        """Every loop instance, in the order they open."""
        loops = [Loop(self, i, *row) for i, row in enumerate(self._core.loops())]
        for seg in self.segments:
            loops[seg._instance]._items.append(seg)
        for lp in loops:
            if lp._parent is not None:
                loops[lp._parent]._items.append(lp)
        for lp in loops:  # segments and child loops in document order
            lp._items.sort(key=lambda item: item.index if isinstance(item, Segment) else item.first)
        return loops

    @property
    def roots(self) -> list[Loop]:
        """The loop instances at the top (the interchanges of a whole document)."""
        return [lp for lp in self.all_loops if lp._parent is None]

    def loops(self, loop_id: str | None = None) -> list[Loop]:
        """Every instance of the loop ``loop_id`` (the TR3's '2300' or the guide's 'ST_LOOP'), or all."""
        return [lp for lp in self.all_loops if loop_id is None or lp.id == loop_id]

    @property
    def interchanges(self) -> list[Loop]:
        return self.loops("ISA_LOOP")

    @property
    def groups(self) -> list[Loop]:
        return self.loops("GS_LOOP")

    @property
    def transactions(self) -> list[Loop]:
        return self.loops("ST_LOOP")

    @property
    def problems(self) -> list[Problem]:
        """What reading found: the tokenizer's failure and findings, the walker's structure problems."""
        out = [e.problem for e in (*self._core.findings, *filter(None, [self.failure]))]
        out = [p.model_copy(update={"location": p.location.model_copy(update={"file": self.file})}) for p in out]
        for seg in self.segments:
            out += seg.problems
        return sorted(out, key=lambda p: p.location.position or 0)

    def to_bytes(self) -> bytes:
        """The document's bytes: the input's, but for the values set."""
        return self._core.to_bytes()

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_bytes` to ``path`` atomically (temporary file, rename), mode 0600."""
        with atomic_write(path, "wb") as f:
            f.write(self.to_bytes())


class Loop:
    """One instance of a loop: its segments and the loops in it, in document order."""

    def __init__(self, doc: Document, index: int, parent: int | None, path: str, loop_id: str, name: str,
                 first: int, continued: bool) -> None:
        self.document = doc
        self.index = index
        self._parent = parent
        self.path = path
        self.id = loop_id
        self.name = name
        self.first = first  # index of its first segment in the document
        # It began in an earlier document of a split stream (its opening segment is not here).
        self.continued = continued
        self._items: list[Segment | Loop] = []

    def __repr__(self) -> str:
        return f"Loop({self.id!r}, segments={len(self.segments)}, children={len(self.children)})"

    @property
    def parent(self) -> Loop | None:
        return None if self._parent is None else self.document.all_loops[self._parent]

    @property
    def items(self) -> list[Segment | Loop]:
        """Its segments and child loops, in document order."""
        self.document.all_loops  # noqa: B018 - fills _items
        return self._items

    @property
    def segments(self) -> list[Segment]:
        """Its own segments (not those of the loops in it)."""
        return [i for i in self.items if isinstance(i, Segment)]

    @property
    def children(self) -> list[Loop]:
        return [i for i in self.items if isinstance(i, Loop)]

    def walk(self) -> Iterator[Segment]:
        """Every segment in it and in the loops in it, in document order."""
        for item in self.items:
            if isinstance(item, Segment):
                yield item
            else:
                yield from item.walk()

    def loops(self, loop_id: str | None = None) -> list[Loop]:
        """The instances of ``loop_id`` (or all) anywhere below this one, in document order."""
        out = []
        for child in self.children:
            if loop_id is None or child.id == loop_id:
                out.append(child)
            out += child.loops(loop_id)
        return out

    def segment(self, segment_id: str) -> Segment | None:
        """Its first own segment with that id."""
        return next((s for s in self.segments if s.id == segment_id), None)


class Segment:
    """One segment: where it is, its place in the guide, its elements (latin-1 text), its problems.

    ``seg[2]`` and ``seg["CLM02"]`` are element 2 ('' when absent), ``seg["SV101-2"]`` a
    component; setting one re-renders this segment only.
    """

    __slots__ = ("document", "index", "position", "offset", "_instance", "id", "guide", "path", "loop_id",
                 "_problems", "_elements")

    def __init__(self, doc: Document, index: int, row: tuple) -> None:
        self.position, self.offset, self._instance, self.id, (self.guide, self.path, self.loop_id), self._problems = row
        self.document = doc
        self.index = index
        self._elements: list[str] | None = None

    def __repr__(self) -> str:
        return f"Segment({self.id!r}, position={self.position}, loop={self.loop_id!r})"

    @property
    def loop(self) -> Loop:
        """The loop instance it belongs to."""
        return self.document.all_loops[self._instance]

    @property
    def delimiters(self) -> Delimiters:
        return Delimiters(*self.document._core.delimiters(self.index))

    @property
    def text(self) -> bytes:
        """Its bytes, without its terminator."""
        return self.document._core.text(self.index)

    @property
    def trailer(self) -> bytes:
        """The bytes after it up to the next segment: its terminator, line breaks, blanks."""
        return self.document._core.trailer(self.index)

    @property
    def elements(self) -> list[str]:
        """Its elements, the id first (a copy)."""
        if self._elements is None:
            self._elements = self.text.decode("latin-1").split(self.delimiters.element)
        return list(self._elements)

    @property
    def problems(self) -> list[Problem]:
        """What the guide walker found wrong at this segment (no element values in them)."""
        return [problem(rule, message, position=position, segment=segment, loop=loop_id, file=self.document.file)
                for rule, position, segment, loop_id, message in self._problems]

    def _where(self, key: int | str) -> tuple[int, int | None]:
        if isinstance(key, int):
            if key < 0:
                raise IndexError("element positions count from 0 (the id)")
            return key, None
        m = _REFERENCE.fullmatch(key, len(self.id)) if key.startswith(self.id) else None
        if m is None or int(m.group(2) or 1) == 0:
            raise KeyError(f"not an element reference of a {self.id} segment (e.g. {self.id}01 or {self.id}01-2)")
        return int(m.group(1)), None if m.group(2) is None else int(m.group(2))

    def __getitem__(self, key: int | str) -> str:
        n, component = self._where(key)
        els = self._elements if self._elements is not None else self.elements
        value = els[n] if n < len(els) else ""
        if component is None:
            return value
        parts = value.split(self.delimiters.component)
        return parts[component - 1] if 0 < component <= len(parts) else ""

    def components(self, key: int | str) -> list[str]:
        return self[key].split(self.delimiters.component)

    def repetitions(self, key: int | str) -> list[str]:
        return self[key].split(self.delimiters.repetition)

    def __setitem__(self, key: int | str, value: str) -> None:
        n, component = self._where(key)
        d = self.delimiters
        ref = f"{self.id}{n:02d}" + (f"-{component}" if component else "")
        if n == 0:
            raise X12ValueError("the segment id cannot be set", rule="segment-id", segment=self.id,
                                position=self.position, element=0)
        forbidden = [("element separator", d.element), ("segment terminator", d.segment)]
        if component is not None:
            forbidden += [("component separator", d.component), ("repetition separator", d.repetition)]
        for name, char in forbidden:
            if char in value:
                raise X12ValueError(f"the value for {ref} contains the {name}", rule="delimiter-in-value",
                                    segment=self.id, position=self.position, element=n, component=component)
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise X12ValueError(f"the value for {ref} has a character outside latin-1", rule="invalid-character",
                                segment=self.id, position=self.position, element=n,
                                component=component) from None
        els = self.elements
        els += [""] * (n + 1 - len(els))
        if component is None:
            els[n] = value
        else:
            parts = els[n].split(d.component)
            parts += [""] * (component - len(parts))
            parts[component - 1] = value
            els[n] = d.component.join(parts)
        self.document._core.set_text(self.index, d.element.join(els).encode("latin-1"))
        self._elements = els
