"""The file namespace of an app (``files.*``), confined to ``<data>/apps/<app_id>/files/``.

A path from a page is checked by ``check_path`` in this order; the first rule that fails
refuses it (``InvalidPathError.rule`` names the rule for the audit log):

1. ``type``      a string;
2. ``empty``     not empty;
3. ``unicode``   valid Unicode (no lone surrogates), and already in NFC form so that two
                 spellings of one name cannot become two files on one system and one on another;
4. ``length``    at most ``max_path_bytes`` UTF-8 bytes;
5. ``nul``       no NUL byte; ``control``: no other C0/C1 control character;
6. ``backslash`` no ``\\`` (a Windows separator: ``\\\\server\\share``, ``..\\x``);
7. ``absolute``  does not start with ``/`` (nor ``~``, which some tools expand);
8. ``drive``     no ``:`` anywhere (drive letters, NTFS alternate data streams);
9. ``segment``   no empty, ``.`` or ``..`` segment (``a//b``, ``./a``, ``a/../../x``);
10. ``depth``    at most ``max_path_depth`` segments;
11. ``name``     each segment at most ``max_name_bytes`` bytes, no ``<>"|?*``, no trailing dot or
                 space, not a Windows device name (``CON``, ``nul.txt``, ``COM1``, ``LPT¹`` ...),
                 and not the reserved temp-file prefix.

Then every file operation walks the checked segments from a descriptor of the files folder
with ``O_NOFOLLOW``, one ``openat`` per folder, so a symlink (or a file where a folder should
be) planted anywhere in the tree is refused rather than followed, with no window between a
check and a use. The final name must be a regular file. Writes go to a temp file in the same
folder, are fsynced, renamed over the target and the folder is fsynced, all inside the store's
write transaction that checks and updates the quota ledger (the ``files`` table). Contents are
sealed with the app's data key and the associated data names the path, so a file moved or
copied to another path or app does not open. File *names* are stored in the clear.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from superapp.storage._crypto import Codec
from superapp.storage._db import Database
from superapp.storage._errors import InvalidPathError, QuotaError, ValueTooLargeError
from superapp.storage._limits import StorageLimits
from superapp.storage._quota import check_quota

__all__ = ["TEMP_PREFIX", "FileEntry", "FileNamespace", "check_path"]

TEMP_PREFIX = ".~superapp-"
_PURPOSE = b"file"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_WINDOWS_FORBIDDEN = re.compile(r'[<>"|?*]')
# Device names Windows reserves in every folder, with or without an extension.
_DEVICE = re.compile(
    r"^(con|prn|aux|nul|conin\$|conout\$|clock\$|(com|lpt)[0-9¹²³])(\..*)?$", re.IGNORECASE
)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _refuse(rule: str, message: str) -> InvalidPathError:
    return InvalidPathError(f"invalid file path: {message}", rule=rule)


def check_path(path: object, limits: StorageLimits) -> tuple[str, ...]:
    """The segments of an app-relative path, or ``InvalidPathError`` (rules above)."""
    if not isinstance(path, str):
        raise _refuse("type", "must be a string")
    if not path:
        raise _refuse("empty", "must not be empty")
    try:
        raw = path.encode("utf-8")
    except UnicodeEncodeError:
        raise _refuse("unicode", "is not valid Unicode text") from None
    if unicodedata.normalize("NFC", path) != path:
        raise _refuse("unicode", "must be in Unicode NFC form")
    if len(raw) > limits.max_path_bytes:
        raise _refuse("length", f"is longer than {limits.max_path_bytes} bytes")
    if "\x00" in path:
        raise _refuse("nul", "contains a NUL character")
    if _CONTROL.search(path):
        raise _refuse("control", "contains a control character")
    if "\\" in path:
        raise _refuse("backslash", "contains a backslash; use '/' between folders")
    if path.startswith(("/", "~")):
        raise _refuse("absolute", "must be relative to the app's files folder")
    if ":" in path:
        raise _refuse("drive", "contains ':'")
    segments = tuple(path.split("/"))
    if any(seg in ("", ".", "..") for seg in segments):
        raise _refuse("segment", "has an empty, '.' or '..' segment")
    if len(segments) > limits.max_path_depth:
        raise _refuse("depth", f"is nested deeper than {limits.max_path_depth} levels")
    for seg in segments:
        if len(seg.encode("utf-8")) > limits.max_name_bytes:
            raise _refuse("name", f"has a name longer than {limits.max_name_bytes} bytes")
        if _WINDOWS_FORBIDDEN.search(seg):
            raise _refuse("name", 'has a name with one of < > " | ? *')
        if seg.endswith((".", " ")):
            raise _refuse("name", "has a name ending in a dot or a space")
        if _DEVICE.match(seg):
            raise _refuse("name", "uses a reserved device name")
        if seg.startswith(TEMP_PREFIX):
            raise _refuse("name", "uses a reserved name")
    return segments


@dataclass(frozen=True)
class FileEntry:
    name: str
    kind: Literal["file", "folder"]
    #: Content bytes (files); total content bytes below it (folders).
    size: int

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "size": self.size}


class FileNamespace:
    def __init__(self, db: Database, codec: Codec, root: Path) -> None:
        self._db = db
        self._codec = codec
        self._limits = db.limits
        self.root = root

    # --- descriptor walking ------------------------------------------------------------
    def _open_root(self) -> int:
        self.root.mkdir(mode=0o700, exist_ok=True)
        try:
            return os.open(self.root, _DIR_FLAGS)
        except OSError as err:
            raise _refuse("symlink", "the files folder is not a plain folder") from err

    @contextlib.contextmanager
    def _parent(self, segments: tuple[str, ...], *, create: bool) -> Iterator[int | None]:
        """A descriptor of the folder holding the last segment (None if it does not exist)."""
        fds = [self._open_root()]
        try:
            for seg in segments[:-1]:
                try:
                    fds.append(os.open(seg, _DIR_FLAGS, dir_fd=fds[-1]))
                except FileNotFoundError:
                    if not create:
                        yield None
                        return
                    os.mkdir(seg, 0o700, dir_fd=fds[-1])
                    fds.append(os.open(seg, _DIR_FLAGS, dir_fd=fds[-1]))
                except OSError as err:
                    if err.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                        raise _refuse(
                            "symlink", "goes through a link or a file where a folder should be"
                        ) from None
                    raise
            yield fds[-1]
        finally:
            for fd in reversed(fds):
                os.close(fd)

    @staticmethod
    def _kind(name: str, dir_fd: int) -> int | None:
        try:
            return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
        except FileNotFoundError:
            return None

    # --- operations --------------------------------------------------------------------
    def read(self, path: str) -> bytes | None:
        """The file's content, or None if there is no such file.

        Raises:
            InvalidPathError: the path breaks a rule, or is a link / folder / special file.
            UnreadableError: the content fails authentication (tampered, moved, foreign).
        """
        segments = check_path(path, self._limits)
        with self._parent(segments, create=False) as dir_fd:
            if dir_fd is None:
                return None
            try:
                fd = os.open(segments[-1], os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
            except FileNotFoundError:
                return None
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.EMLINK):
                    raise _refuse("symlink", "is a link") from None
                raise
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    raise _refuse("not-a-file", "is not a regular file")
                blob = f.read(self._limits.max_file_bytes + self._codec.overhead + 1)
        return self._codec.open(_PURPOSE, "/".join(segments), blob)

    def write(self, path: str, data: bytes) -> None:
        """Replace (or create) the file atomically, within the quota.

        Raises:
            InvalidPathError, ValueTooLargeError, QuotaError: refused, nothing written.
        """
        segments = check_path(path, self._limits)
        rel = "/".join(segments)
        if len(data) > self._limits.max_file_bytes:
            raise ValueTooLargeError(f"file is larger than {self._limits.max_file_bytes} bytes")
        size = len(data) + len(rel.encode("utf-8"))
        blob = self._codec.seal(_PURPOSE, rel, data)
        with self._db.write() as conn:
            row = conn.execute("SELECT size FROM files WHERE path = ?", (rel,)).fetchone()
            old = int(row[0]) if row else 0
            kv_bytes, file_bytes, file_count = conn.execute(
                "SELECT kv_bytes, file_bytes, file_count FROM usage"
            ).fetchone()
            if row is None and file_count >= self._limits.max_files:
                raise QuotaError(f"the app already stores {self._limits.max_files} files")
            check_quota(self._limits, kv_bytes + file_bytes, old, size)
            with self._parent(segments, create=True) as dir_fd:
                assert dir_fd is not None  # noqa: S101 - create=True always yields a folder
                mode = self._kind(segments[-1], dir_fd)
                if mode is not None and not stat.S_ISREG(mode):
                    raise _refuse("not-a-file", "names a folder, link or special file")
                tmp = f"{TEMP_PREFIX}{secrets.token_hex(8)}"
                fd = os.open(
                    tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dir_fd
                )
                try:
                    with os.fdopen(fd, "wb") as f:
                        f.write(blob)
                        f.flush()
                        os.fsync(f.fileno())
                    os.rename(tmp, segments[-1], src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
                except BaseException:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(tmp, dir_fd=dir_fd)
                    raise
                os.fsync(dir_fd)
            conn.execute(
                "INSERT INTO files(path, size) VALUES (?, ?) "
                "ON CONFLICT(path) DO UPDATE SET size = excluded.size",
                (rel, size),
            )
            conn.execute(
                "UPDATE usage SET file_bytes = file_bytes + ?, file_count = file_count + ?",
                (size - old, 0 if row else 1),
            )

    def delete(self, path: str) -> bool:
        """Delete the file (and folders it leaves empty); True if it existed."""
        segments = check_path(path, self._limits)
        rel = "/".join(segments)
        with self._db.write() as conn:
            with self._parent(segments, create=False) as dir_fd:
                existed = False
                if dir_fd is not None:
                    mode = self._kind(segments[-1], dir_fd)
                    if mode is not None and not stat.S_ISREG(mode):
                        raise _refuse("not-a-file", "names a folder, link or special file")
                    if mode is not None:
                        os.unlink(segments[-1], dir_fd=dir_fd)
                        os.fsync(dir_fd)
                        existed = True
            if existed:
                self._prune(segments[:-1])
            row = conn.execute("SELECT size FROM files WHERE path = ?", (rel,)).fetchone()
            if row is not None:
                conn.execute("DELETE FROM files WHERE path = ?", (rel,))
                conn.execute(
                    "UPDATE usage SET file_bytes = file_bytes - ?, file_count = file_count - 1",
                    (row[0],),
                )
            return existed

    def _prune(self, folders: tuple[str, ...]) -> None:
        """Remove now-empty folders, deepest first (never the files folder itself)."""
        for depth in range(len(folders), 0, -1):
            with self._parent(folders[:depth], create=False) as dir_fd:
                if dir_fd is None:
                    continue
                try:
                    os.rmdir(folders[depth - 1], dir_fd=dir_fd)
                except OSError:
                    return

    def list(self, folder: str = "") -> list[FileEntry]:
        """Files and folders directly inside ``folder`` ("" for the top), sorted by name."""
        prefix = "/".join(check_path(folder, self._limits)) + "/" if folder else ""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT path, size FROM files WHERE substr(path, 1, ?) = ?",
                (len(prefix), prefix),
            ).fetchall()
        files: dict[str, int] = {}
        folders: dict[str, int] = {}
        for path, size in rows:
            rest = str(path)[len(prefix) :]
            content = int(size) - len(str(path).encode("utf-8"))
            head, sep, _ = rest.partition("/")
            if sep:
                folders[head] = folders.get(head, 0) + content
            else:
                files[head] = content
        entries = [FileEntry(n, "file", s) for n, s in files.items()]
        entries += [FileEntry(n, "folder", s) for n, s in folders.items()]
        return sorted(entries, key=lambda e: e.name)

    def clear(self) -> int:
        """Delete every file; the number of files the ledger held."""
        import shutil

        with self._db.write() as conn:
            count = int(conn.execute("SELECT count(*) FROM files").fetchone()[0])
            if self.root.is_symlink() or (self.root.exists() and not self.root.is_dir()):
                self.root.unlink()
            elif self.root.exists():
                shutil.rmtree(self.root)
            self.root.mkdir(mode=0o700, exist_ok=True)
            conn.execute("DELETE FROM files")
            conn.execute("UPDATE usage SET file_bytes = 0, file_count = 0")
            return count

    def reconcile(self) -> None:
        """Make the ledger match the disk after a crash between a rename and its commit.

        Stale temp files are removed; links and special files are never followed, and files
        whose names break the rules are left alone and not counted.
        """
        with self._db.write() as conn:
            on_disk: dict[str, int] = {}
            root_fd = self._open_root()
            os.close(root_fd)
            for top, _dirs, names, dir_fd in os.fwalk(self.root, follow_symlinks=False):
                rel_top = os.path.relpath(top, self.root)
                for name in names:
                    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                    if not stat.S_ISREG(st.st_mode):
                        continue
                    if name.startswith(TEMP_PREFIX):
                        os.unlink(name, dir_fd=dir_fd)
                        continue
                    rel = name if rel_top == "." else f"{rel_top}/{name}"
                    try:
                        check_path(rel, self._limits)
                    except InvalidPathError:
                        continue
                    content = max(st.st_size - self._codec.overhead, 0)
                    on_disk[rel] = content + len(rel.encode("utf-8"))
            ledger = dict(conn.execute("SELECT path, size FROM files").fetchall())
            if ledger != on_disk:
                conn.execute("DELETE FROM files")
                conn.executemany("INSERT INTO files(path, size) VALUES (?, ?)", on_disk.items())
            conn.execute(
                "UPDATE usage SET file_bytes = (SELECT coalesce(sum(size), 0) FROM files), "
                "file_count = (SELECT count(*) FROM files)"
            )
