"""``sdohedi dashboard``: one self-contained, offline HTML page of what the ledger says an NLE
billed, was paid, is owed, was denied and still waits for.

The figures come from the ledger through the functions behind reconcile's reports
(:mod:`sdohedi.dashboard.figures`); the page is a Jinja2 template with its styles, its script
and Chart.js (MIT, vendored in ``assets/``) inlined, and the figures embedded as JSON that the
script filters by payer, CBO and service month. No request leaves the page (its
Content-Security-Policy allows none).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from .figures import Period, figures

__all__ = ["Period", "figures", "render", "write_dashboard"]


def _asset(name: str) -> str:
    return resources.files(__name__).joinpath("assets", name).read_text(encoding="utf-8")


@cache
def _template():
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.from_string(_asset("dashboard.html.j2"))


def render(data: dict, *, title: str) -> str:
    """The page for ``figures(...)``'s data. The JSON goes in through Jinja2's ``tojson``, which
    escapes ``<``, ``>``, ``&`` and ``'``, so no text in the data can close its script element."""
    from .. import __version__

    scripts = {"chart_js": _asset("chart.min.js"), "page_js": _asset("dashboard.js")}
    for name, text in scripts.items():
        if "</script" in text.lower():
            raise ValueError(f"asset {name} would close its script element")
    return _template().render(title=title, data=data, css=_asset("dashboard.css"), version=__version__, **scripts)


def write_dashboard(path: str | Path, html: str) -> None:
    """Write the page atomically, mode 0600 (it is not PHI, but it is the NLE's finances)."""
    from ..pipeline.files import atomic_text_file

    with atomic_text_file(path, newline="\n") as f:
        f.write(html)
