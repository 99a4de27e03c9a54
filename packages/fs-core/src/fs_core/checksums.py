"""Checksums as backends report them (``'algo:hex'``), compared and recomputed.

Backends keep different kinds: fs-local a SHA-256 of the content, S3 an MD5 (its ETag, for
objects uploaded in one part) or an opaque ETag (``etag:…-N`` for a multipart upload). Two
checksums say something about two files only when they are of the same kind; content is
hashed again, in one pass for every algorithm needed, when they are not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from . import streams

__all__ = ["DEFAULT_ALGORITHM", "algorithm", "computable", "hash_stream", "same"]

#: What content is hashed with when no stored checksum names an algorithm.
DEFAULT_ALGORITHM = "sha256"


def algorithm(checksum: str | None) -> str | None:
    """The algorithm of ``'algo:hex'`` (lowercase), or ``None`` for no checksum."""
    if not checksum or ":" not in checksum:
        return None
    return checksum.partition(":")[0].strip().lower() or None


def _normal(checksum: str) -> str:
    algo, _, value = checksum.partition(":")
    return f"{algo.strip().lower()}:{value.strip().strip(chr(34)).lower()}"


def computable(algo: str | None) -> bool:
    """Whether content can be hashed again to get a checksum of kind ``algo`` (any fixed-size
    ``hashlib`` algorithm; not an S3 multipart ETag)."""
    if not algo:
        return False
    try:
        hashlib.new(algo).hexdigest()
    except (ValueError, TypeError):
        return False
    return True


def same(a: str | None, b: str | None) -> bool | None:
    """Whether two checksums say the content is the same (``True``) or differs (``False``);
    ``None`` when they cannot tell (one is missing, or they are of different kinds)."""
    if not a or not b or algorithm(a) != algorithm(b):
        return None
    return _normal(a) == _normal(b)


def hash_stream(
    stream: Any,
    algorithms: Iterable[str] = (DEFAULT_ALGORITHM,),
    on_bytes: Callable[[int], Any] | None = None,
) -> tuple[dict[str, str], int]:
    """Read ``stream`` to its end, in bounded chunks; return ``{algo: 'algo:hex'}`` for each
    computable algorithm asked for, and the number of bytes read. ``on_bytes(n)`` is called
    after each chunk (a progress bar)."""
    hashers = {algo: hashlib.new(algo) for algo in dict.fromkeys(algorithms) if computable(algo)}

    def update(data: Any) -> None:
        for hasher in hashers.values():
            hasher.update(data)
        if on_bytes is not None:
            on_bytes(len(data))

    size = streams.copy_stream(stream, update)
    return {algo: f"{algo}:{hasher.hexdigest()}" for algo, hasher in hashers.items()}, size
