"""The old engine's memos per guide: the walker's plans by node, then segment id (and qualifier
value), and the generated fast element checks by node. They were fields of ``validate.guide.Guide``
while this engine was the library's; the library's guide no longer needs them, so the oracle keeps
them beside the guides it walks (guides are cached for the process)."""

from __future__ import annotations

import weakref

from sdohedi.validate.guide import Guide

_memos: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _of(guide: Guide) -> tuple[list[dict], list]:
    memo = _memos.get(guide)
    if memo is None:
        memo = _memos[guide] = ([{} for _ in guide.segments], [None] * len(guide.segments))
    return memo


def transitions(guide: Guide) -> list[dict]:
    """Per node index: the walker's plans (see ``walker.lookup_plan``)."""
    return _of(guide)[0]


def fast_checks(guide: Guide) -> list:
    """Per node index: the generated element check (see ``fast.build_fast_check``), None until built."""
    return _of(guide)[1]
