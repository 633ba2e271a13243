"""The wheel and the sdist carry the data the library reads at run time (the guide and code tables).

src/sdohedi/data is a symlink to schemas/, which maturin does not follow: pyproject names the files.
Both builds run maturin itself (the wheel reuses rust/target, so only a first build compiles).
"""

import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MATURIN = shutil.which("maturin")
pytestmark = pytest.mark.skipif(MATURIN is None, reason="needs maturin on PATH")


def data_files() -> set[str]:
    """The tables under schemas/ that sdohedi.data serves, as paths inside the package."""
    tables = [p for pattern in ("*.json", "codes/*.json", "guides/*.json") for p in (ROOT / "schemas").glob(pattern)]
    assert len(tables) >= 15  # the schemas, the code tables and the guides
    return {f"sdohedi/data/{p.relative_to(ROOT / 'schemas').as_posix()}" for p in tables}


def build(kind: str, out: Path) -> Path:
    command = [MATURIN, "sdist", "-o", str(out)] if kind == "sdist" else \
        [MATURIN, "build", "--release", "-o", str(out)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    (artifact,) = out.iterdir()
    return artifact


def test_the_sdist_carries_every_table(tmp_path):
    with tarfile.open(build("sdist", tmp_path)) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {f"src/{f}" for f in data_files()} <= names
    # the core compiles the guide tables in from ../../schemas/guides
    assert {f"schemas/guides/{p.name}" for p in (ROOT / "schemas" / "guides").glob("*.json")} <= names


def test_the_wheel_carries_every_table(tmp_path):
    with zipfile.ZipFile(build("wheel", tmp_path)) as whl:
        names = set(whl.namelist())
    assert data_files() <= names
    assert any(n.startswith("sdohedi/_core") for n in names)
