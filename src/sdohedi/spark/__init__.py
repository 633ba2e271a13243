"""sdohedi on Apache Spark (``pip install 'sdohedi[spark]'``, PySpark >= 4.1).

* :func:`encode_837p` — service-log rows -> 837P files, one interchange per file unit, written by
  executors with the local engine's code (same bytes for the same input and control numbers);
  :func:`read_service_logs` reads log files whole, as the local engine reads them.
* :func:`read_835` — 835 files -> a DataFrame of payments, the table ``sdohedi remit`` writes.

DataFrame API only (no RDD): runs on classic clusters, Spark Connect and shared or serverless
compute. Executors need ``sdohedi`` installed (same version as the driver).
"""

from __future__ import annotations

try:
    import pyspark  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("sdohedi.spark needs PySpark >= 4.1: pip install 'sdohedi[spark]'") from exc

from .encode import DEFAULT_MAX_LINES_PER_FILE, encode_837p, read_service_logs
from .remit import read_835, remit_schema_ddl
from .session import local_session

__all__ = ["DEFAULT_MAX_LINES_PER_FILE", "encode_837p", "local_session", "read_835", "read_service_logs",
           "remit_schema_ddl"]
