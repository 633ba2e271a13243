"""A session-wide SparkSession on local[2] for the ``spark`` tests (import ``spark`` into a test module).

Skips only when PySpark or a Java runtime is truly missing (CI installs both: .ci/run).
Python workers run this interpreter; the UI is off; few shuffle partitions; the JVM is tuned
for short jobs (C1 only, serial GC). ``local[2,4]`` lets a task be tried 4 times: the tests
fail tasks on purpose to check that a retried task writes the same bytes.
"""

from __future__ import annotations

import os
import shutil
import sys

import pytest


def _java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (home and os.access(os.path.join(home, "bin", "java"), os.X_OK)))


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'sdohedi[spark]')")
    if not _java_available():
        pytest.skip("no Java runtime for Spark (java not on PATH, JAVA_HOME unset): "
                    "apt-get install openjdk-17-jre-headless")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2,4]").appName("sdohedi-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "2")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
               .config("spark.sql.codegen.wholeStage", "false")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
