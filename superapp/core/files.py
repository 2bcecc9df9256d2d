"""The one atomic-write helper: a file holds either its old bytes or the new ones, never a mix.

Procedure (the order matters):

1. a temporary file with a fresh random name in the target's own directory (``mkstemp``:
   ``O_CREAT | O_EXCL``, owner-only), so that concurrent writers never share a temporary file
   and the final rename stays on one file system;
2. write everything, flush, ``fsync`` (the bytes are on disk before the name points at them);
3. ``chmod`` to the requested mode (before the rename, so the file is never visible wider);
4. ``os.replace`` onto the target (atomic on POSIX and Windows);
5. on any failure, the temporary file is removed and the error re-raised; the target is
   untouched.

Two writers racing on one path: each rename is atomic, so the file ends as exactly one of the
writes (the last rename wins) and no write fails because of the other.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "atomic_write_text"]


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically (see the module docstring).

    Raises:
        OSError: the directory is missing or not writable, the disk is full, ...
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, *, mode: int = 0o600) -> None:
    """``atomic_write`` of ``text`` encoded as UTF-8."""
    atomic_write(path, text.encode("utf-8"), mode=mode)
