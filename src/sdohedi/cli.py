"""The ``sdohedi`` command: a thin click layer over the library.

Each module in ``sdohedi.commands`` defines one click command named ``command``; they are
registered here. Exit status everywhere: 0 clean, 1 findings or rejected rows (output still
written), 2 nothing could be done.
"""

from __future__ import annotations

import importlib
import pkgutil

import click

from . import __version__, commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sdohedi")
def main() -> None:
    """Bill health plans for social care over X12 5010: 837P out, 835 back."""


for _info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
    _module = importlib.import_module(f"{commands.__name__}.{_info.name}")
    main.add_command(_module.command)
