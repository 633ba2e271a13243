"""The external code lists the core's element checks consult: pyx12's ``codes.xml`` lists (through
``guide.external_codes``) and our own place-of-service table (``pos``), handed to the core once."""

from __future__ import annotations

from functools import cache

from .._core import CodeLists
from ..codes import load_table
from .guide import external_codes


@cache
def code_lists() -> CodeLists:
    lists = dict(external_codes())
    lists["pos"] = frozenset(load_table("place_of_service"))
    return CodeLists(sorted((name, sorted(codes)) for name, codes in lists.items()))
