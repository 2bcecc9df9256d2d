"""Published front-end libraries: see :mod:`superapp.testing._npm`."""

from pathlib import Path

from superapp.testing._npm import CACHE, LIBRARIES, Library, Unavailable, fetch_all, read_files

REPO = Path(__file__).resolve().parents[2]

__all__ = ["CACHE", "LIBRARIES", "REPO", "Library", "Unavailable", "fetch_all", "read_files"]
