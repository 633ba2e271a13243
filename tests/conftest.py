import sys
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

# Properties assert what comes out, not how fast: the machine is shared and noisy, so hypothesis's
# per-example deadline (200 ms) only makes them flaky. Explicit @settings keep this default.
settings.register_profile("sdohedi", deadline=None)
settings.load_profile("sdohedi")

# Public X12 files the repository carries (sources, licenses and checksums in SOURCES.md there).
CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def cut_at(data: bytes, cuts) -> list[bytes]:
    """``data`` cut at each of ``cuts`` (sorted, repeats once; a cut past the end gives an empty
    piece): the chunks a streaming reader is fed, in order, ending with the rest."""
    pieces, start = [], 0
    for cut in sorted(set(cuts)):
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    return pieces

# One PostgreSQL server and one SparkSession for the whole test session: a fixture imported
# into several test modules would be one definition per module, each starting its own.
from pg_server import pg_server  # noqa: E402,F401
from spark_session import spark  # noqa: E402,F401
