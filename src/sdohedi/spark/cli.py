"""What ``sdohedi remit --engine spark`` runs (``sdohedi encode --engine spark`` is in
``sdohedi.commands.encode``)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import click

from .paths import local_dir, to_uri
from .remit import PROBLEM, read_835
from .session import local_session


def remit_spark(files: tuple[Path, ...], out_path: Path, per_claim: bool) -> int:
    """The remit command on Spark: the same table, written as a Parquet dataset (a folder of
    part files) at ``out_path``; problems printed as the local command prints them. Returns the
    exit status (0 clean, 1 findings or files that failed, 2 nothing could be read)."""
    if out_path.suffix.lower() != ".parquet":
        click.echo(f"error: the spark engine writes Parquet: name the output *.parquet, not {out_path.name!r}",
                   err=True)
        return 2
    names = [str(p) for p in files]
    readable = []
    for name in names:
        if "://" not in name and not Path(name).is_file():
            click.echo(f"{name}: cannot read: No such file or directory", err=True)
        else:
            readable.append(name)
    if not readable:
        click.echo("nothing could be read; no output written", err=True)
        return 2
    spark = local_session("sdohedi-remit")
    target = local_dir(str(out_path))
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    staged, result = work / "all", work / "out"
    try:
        work.mkdir(mode=0o700)
        df = read_835(spark, readable, claims=per_claim, names={to_uri(n): n for n in readable})
        df.write.parquet(to_uri(staged))
        everything = spark.read.schema(df.schema).parquet(to_uri(staged))
        problems = everything.where(everything[PROBLEM].isNotNull()).select("file", PROBLEM).collect()
        payments = everything.where(everything[PROBLEM].isNull()).drop(PROBLEM)
        rows = payments.count()
        failures = len(names) - len(readable)
        findings = 0
        failed_files = set()
        order = {n: i for i, n in enumerate(names)}
        for file, problem in sorted(problems, key=lambda r: order.get(r[0], len(order))):
            click.echo(f"{file}: {problem}", err=True)
            if problem.startswith("error: "):
                failed_files.add(file)
            else:
                findings += 1
        failures += len(failed_files)
        if failures == len(names) and not rows:
            click.echo("nothing could be read; no output written", err=True)
            return 2
        payments.write.parquet(to_uri(result))
        os.chmod(result, 0o700)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        os.replace(result, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    click.echo(f"{len(names) - failures} of {len(names)} files read; {rows} rows written to {out_path} "
               "(a Parquet folder)", err=True)
    return 1 if findings or failures else 0
