"""Paths as the driver, the executors and Spark's file sources name them."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse


def to_uri(path: str | os.PathLike[str]) -> str:
    """A path Spark reads: local paths become ``file:/abs/path`` (not percent-encoded: Hadoop
    splits off the scheme and keeps the rest as it is), URIs stay as they are."""
    text = os.fspath(path)
    if "://" in text or text.startswith("file:"):
        return text
    return "file:" + os.path.abspath(text)


def to_uris(paths) -> list[str]:
    return [to_uri(p) for p in paths]


def normalize_path(path: str) -> str:
    """One key for a local file however it is written (``file:/a%20b``, ``file:///a b``, ``a b``)."""
    if path.startswith("file:"):
        return os.path.abspath(unquote(urlparse(path).path))
    if "://" in path:
        return path
    return os.path.abspath(path)


def local_dir(uri: str | os.PathLike[str]) -> Path:
    """The folder the driver and every executor see at ``uri`` (a path or a ``file:`` URI)."""
    text = os.fspath(uri)
    if text.startswith("file:"):
        return Path(unquote(urlparse(text).path))
    if "://" in text:
        raise ValueError("the output must be a folder every executor and the driver can open as a path "
                         "(local, NFS, /dbfs or /Volumes mounts), not a URI")
    return Path(text).absolute()
