"""The SparkSession the command line uses."""

from __future__ import annotations

import os
import sys


def local_session(app_name: str = "sdohedi"):
    """The active SparkSession, or a new one as PySpark makes it: Spark Connect when
    ``SPARK_REMOTE`` is set, the master ``spark-submit`` was given, else ``local[*]``;
    ``SDOHEDI_SPARK_MASTER`` overrides the master. Python workers run this interpreter unless
    ``PYSPARK_PYTHON`` says otherwise (they must import sdohedi)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if os.environ.get("SDOHEDI_SPARK_MASTER"):
        builder = builder.master(os.environ["SDOHEDI_SPARK_MASTER"])
    if not os.environ.get("SPARK_REMOTE"):
        builder = builder.config("spark.ui.showConsoleProgress", "false")
    spark = builder.getOrCreate()
    try:
        spark.sparkContext.setLogLevel("ERROR")  # not on Spark Connect
    except Exception:
        pass
    return spark
