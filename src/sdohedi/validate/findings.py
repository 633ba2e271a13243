"""What the validator reports: a :class:`Finding` (the library's :class:`~sdohedi.problems.Problem`)
with a precise :class:`Location`."""

from __future__ import annotations

from ..problems import Level, Location, Problem, Severity

Finding = Problem

__all__ = ["Finding", "Level", "Location", "Severity"]
