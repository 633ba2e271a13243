"""`sdohedi --help` and each command's --help load the click layer only: the library a command
calls is imported when it runs (a fresh interpreter's sys.modules is the oracle)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sdohedi.cli import main

PROBE = """
import json, sys
from sdohedi.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""
# What no --help needs: pydantic models, the compiled core, the readers, validators, Arrow.
HEAVY = ("pydantic", "pyarrow", "sdohedi._core", "sdohedi.x12", "sdohedi.models", "sdohedi.validate",
         "sdohedi.remit835", "sdohedi.claims837p", "sdohedi.pipeline", "sdohedi.reconcile")


def _modules(*args: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


@pytest.mark.parametrize("command", [None, *sorted(main.commands)])
def test_help_imports_no_library_module(command):
    loaded = _modules(*([command] if command else []), "--help")
    assert "sdohedi.cli" in loaded
    assert sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)) == []


def test_a_command_imports_what_it_runs():
    loaded = _modules("validate", "/nonexistent/file.837")  # runs: loads the validator, then fails to read
    assert {"sdohedi.validate", "sdohedi._core"} <= loaded
    assert not any(m.startswith("sdohedi.remit835") or m.startswith("sdohedi.reconcile") for m in loaded)
