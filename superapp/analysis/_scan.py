"""Scanning a bundle: the order of work and the suppression policy.

``scan_files`` (all inputs are bytes in memory; it never touches the file system):

1. limits: too many files or bytes overall is SA602 on the bundle; an over-size file is
   SA602 on that file and is not read further;
2. every file's SHA-256 is checked against the denylist (SA601), whatever its type;
3. ``.js .mjs .cjs`` are analysed as JavaScript; ``.html .htm .xhtml .svg`` as HTML (which
   analyses inline scripts, ``on*`` handlers and ``javascript:`` URLs as JavaScript);
4. files the bundle loads as code (``<script src>``, ``new Worker``, ``importScripts``) are
   analysed as JavaScript whatever their extension;
5. bundle-wide rules (SA403: fetched WebAssembly plus workers) are evaluated, then what the
   app's CSP will refuse at run time (SA701-SA705, ``_csp``);
6. inline suppressions are applied per file: a ``superapp-scan: allow SAnnn -- reason``
   comment covers findings of the named warn- or info-level rules on its own line and on the
   next line. A suppression naming a block rule, or without a reason, is itself reported
   (SA604) and has no effect: the bundle cannot silence what install refuses.

``scan_path`` reads a folder or a ``.sapp`` (ZIP) defensively — entry names, symlinks, sizes,
compression ratio and encryption are checked before anything is read — and takes
``allowed_hosts`` from ``manifest.json``'s ``superapp.allowed_hosts``.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import stat
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from superapp.analysis._csp import csp_findings
from superapp.analysis._denylist import Denylist
from superapp.analysis._html import analyse_html
from superapp.analysis._js import BundleState, Context, Suppression, analyse_js
from superapp.analysis._limits import DEFAULT_LIMITS, ScanLimits
from superapp.analysis._model import Finding, ScanReport
from superapp.analysis._rules import RULES, Severity
from superapp.core.errors import ScanInputError

__all__ = ["ScanInputError", "read_bundle", "scan_files", "scan_path"]

_JS_EXT = (".js", ".mjs", ".cjs")
_HTML_EXT = (".html", ".htm", ".xhtml", ".svg")
BUNDLE_NAME = "(bundle)"
_URL_SINK_RULES = frozenset({"SA501", "SA107", "SA108"})


def _decode_source(data: bytes) -> bytes:
    """Source as UTF-8 bytes for the parser (browsers accept other encodings too)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace").encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1").encode("utf-8")
    return data


def _apply_suppressions(
    findings: list[Finding],
    suppressions: list[Suppression],
    file: str,
) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """Returns (active, suppressed, SA604 findings about ignored suppressions)."""
    notes: list[Finding] = []
    usable: dict[tuple[int, str], str] = {}
    for s in suppressions:
        if len(s.reason) < DEFAULT_LIMITS.min_suppression_reason:
            notes.append(
                Finding(
                    file,
                    s.line,
                    s.column,
                    "SA604",
                    "suppression without a reason ('-- why') is ignored",
                    s.text,
                )
            )
            continue
        for rid in s.rule_ids:
            r = RULES.get(rid)
            if r is None:
                notes.append(
                    Finding(
                        file,
                        s.line,
                        s.column,
                        "SA604",
                        f"suppression names unknown rule {rid}",
                        s.text,
                    )
                )
            elif r.severity is Severity.BLOCK or rid == "SA604":
                notes.append(
                    Finding(
                        file,
                        s.line,
                        s.column,
                        "SA604",
                        f"{rid} is block-level and cannot be suppressed",
                        s.text,
                    )
                )
            else:
                usable[(s.line, rid)] = s.reason
                usable[(s.line + 1, rid)] = s.reason
    active: list[Finding] = []
    suppressed: list[Finding] = []
    for f in findings:
        reason = usable.get((f.line, f.rule_id))
        if reason is not None and f.file == file:
            suppressed.append(
                Finding(
                    f.file, f.line, f.column, f.rule_id, f.message, f.snippet, suppressed_by=reason
                )
            )
        else:
            active.append(f)
    return active, suppressed, notes


def scan_files(
    files: Mapping[str, bytes],
    allowed_hosts: Sequence[str] = (),
    denylist: Denylist | None = None,
    *,
    limits: ScanLimits = DEFAULT_LIMITS,
) -> ScanReport:
    """Scan a bundle given as ``{bundle-relative posix path: bytes}``.

    ``denylist`` defaults to the packaged list. Never raises for hostile content: anything
    that cannot be scanned becomes an SA602 (block) finding.
    """
    deny = denylist if denylist is not None else Denylist.packaged()
    hosts = tuple(str(h) for h in allowed_hosts)
    shared = BundleState()
    findings: list[Finding] = []
    suppressed: list[Finding] = []
    total = 0
    scanned_as_js: set[str] = set()

    if len(files) > limits.max_files:
        findings.append(
            Finding(
                BUNDLE_NAME,
                1,
                1,
                "SA602",
                f"{len(files)} files, over the limit of {limits.max_files}",
            )
        )

    def scan_one(name: str, data: bytes, as_js: bool) -> None:
        local: list[Finding] = []
        ctx = Context(name, hosts, limits, shared)
        source = _decode_source(data)
        if as_js:
            sups = analyse_js(source, ctx, local.append)
        else:
            sups = analyse_html(source, ctx, local.append)
        # A URL already reported at a network or code sink is not repeated as SA502.
        sink_lines = {f.line for f in local if f.rule_id in _URL_SINK_RULES}
        local = [f for f in local if not (f.rule_id == "SA502" and f.line in sink_lines)]
        active, quiet, notes = _apply_suppressions(local, sups, name)
        findings.extend(active + notes)
        suppressed.extend(quiet)

    for name in sorted(files):
        data = files[name]
        total += len(data)
        if len(data) > limits.max_file_bytes:
            findings.append(
                Finding(
                    name,
                    1,
                    1,
                    "SA602",
                    f"{len(data)} bytes, over the per-file limit of {limits.max_file_bytes}",
                )
            )
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in deny:
            label = deny.label(digest)
            findings.append(
                Finding(
                    name,
                    1,
                    1,
                    "SA601",
                    f"file is on the denylist{': ' + label if label else ''}",
                    digest,
                )
            )
        lower = name.lower()
        if lower.endswith(_JS_EXT):
            scanned_as_js.add(name)
            scan_one(name, data, True)
        elif lower.endswith(_HTML_EXT):
            scan_one(name, data, False)
    if total > limits.max_total_bytes:
        findings.append(
            Finding(
                BUNDLE_NAME,
                1,
                1,
                "SA602",
                f"{total} bytes in all, over the limit of {limits.max_total_bytes}",
            )
        )

    # Files loaded as code under another extension (<script src="app.txt">).
    pending = list(shared.script_refs)
    while pending:
        referrer, url = pending.pop()
        target = _resolve_ref(referrer, url)
        if target is None or target in scanned_as_js or target not in files:
            continue
        data = files[target]
        scanned_as_js.add(target)
        if len(data) <= limits.max_file_bytes:
            before = len(shared.script_refs)
            scan_one(target, data, True)
            pending.extend(shared.script_refs[before:])

    if shared.spawns_workers:
        findings.extend(shared.wasm_sites)

    # What the app's CSP will refuse at run time (SA7xx), partly derived from the above.
    findings.extend(csp_findings(files, findings, limits.snippet_chars))

    unique = sorted(set(findings), key=_order)
    return ScanReport(
        findings=tuple(unique),
        suppressed=tuple(sorted(set(suppressed), key=_order)),
        files_scanned=len(files),
        bytes_scanned=total,
    )


def _order(f: Finding) -> tuple[str, int, int, str, str]:
    return (f.file, f.line, f.column, f.rule_id, f.message)


def _resolve_ref(referrer: str, url: str) -> str | None:
    path = url.split("#", 1)[0].split("?", 1)[0].strip()
    if not path or ":" in path.split("/", 1)[0]:
        return None
    if path.startswith("/"):
        joined = path.lstrip("/")
    else:
        joined = posixpath.join(posixpath.dirname(referrer), path)
    normal = posixpath.normpath(joined)
    if normal.startswith("..") or normal == ".":
        return None
    return normal


# --- reading folders and .sapp archives ----------------------------------------------------


def _check_entry_name(name: str) -> str:
    p = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or name.startswith("/")
        or ".." in p.parts
        or (len(name) > 1 and name[1] == ":")
        or "\0" in name
    ):
        raise ScanInputError(f"unsafe entry name in bundle: {name!r}")
    return name


def read_bundle(
    path: Path, limits: ScanLimits = DEFAULT_LIMITS
) -> tuple[dict[str, bytes], list[Finding]]:
    """Read a folder, a .sapp, or a single .js/.html file into memory. Over-size files are
    reported, not read.

    Raises:
        ScanInputError: the path is missing, or the archive is malformed or unsafe.
    """
    if path.is_dir():
        return _read_folder(path, limits)
    if path.is_file() and path.name.lower().endswith(_JS_EXT + _HTML_EXT):
        # A single source file (developer convenience): a one-file bundle.
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            return {}, [
                Finding(
                    path.name,
                    1,
                    1,
                    "SA602",
                    f"{size} bytes, over the per-file limit of {limits.max_file_bytes}",
                )
            ]
        return {path.name: path.read_bytes()}, []
    if path.is_file():
        return _read_zip(path, limits)
    raise ScanInputError(f"no such folder or bundle: {path}")


def _read_folder(root: Path, limits: ScanLimits) -> tuple[dict[str, bytes], list[Finding]]:
    files: dict[str, bytes] = {}
    notes: list[Finding] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for fn in sorted(filenames) + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            full = Path(dirpath) / fn
            rel = full.relative_to(root).as_posix()
            if len(files) + len(notes) >= limits.max_files:
                raise ScanInputError(f"more than {limits.max_files} files under {root}")
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):
                notes.append(
                    Finding(
                        rel, 1, 1, "SA602", "symbolic link: not scanned, and refused in bundles"
                    )
                )
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            if st.st_size > limits.max_file_bytes:
                notes.append(
                    Finding(
                        rel,
                        1,
                        1,
                        "SA602",
                        f"{st.st_size} bytes, over the per-file limit of {limits.max_file_bytes}",
                    )
                )
                continue
            total += st.st_size
            if total > limits.max_total_bytes:
                raise ScanInputError(f"more than {limits.max_total_bytes} bytes under {root}")
            try:
                files[rel] = full.read_bytes()
            except OSError as err:
                notes.append(Finding(rel, 1, 1, "SA602", f"unreadable: {err.strerror}"))
    return files, notes


def _read_zip(path: Path, limits: ScanLimits) -> tuple[dict[str, bytes], list[Finding]]:
    files: dict[str, bytes] = {}
    notes: list[Finding] = []
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise ScanInputError(f"{path} is not a readable .sapp (ZIP) archive: {err}") from err
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_files:
            raise ScanInputError(f"{path} has {len(infos)} entries, over {limits.max_files}")
        seen: set[str] = set()
        total = 0
        for info in infos:
            name = _check_entry_name(info.filename)
            if info.is_dir():
                continue
            folded = name.casefold()
            if folded in seen:
                raise ScanInputError(f"duplicate or case-colliding entry in bundle: {name!r}")
            seen.add(folded)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ScanInputError(f"symbolic link entry in bundle: {name!r}")
            if info.flag_bits & 0x1:
                raise ScanInputError(f"encrypted entry in bundle: {name!r}")
            if info.file_size > limits.max_file_bytes:
                notes.append(
                    Finding(
                        name,
                        1,
                        1,
                        "SA602",
                        f"{info.file_size} bytes, over the "
                        f"per-file limit of {limits.max_file_bytes}",
                    )
                )
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > 1 << 20 and ratio > limits.max_compression_ratio:
                raise ScanInputError(f"entry {name!r} expands {ratio:.0f}x (zip bomb?)")
            total += info.file_size
            if total > limits.max_total_bytes:
                raise ScanInputError(f"{path} expands past {limits.max_total_bytes} bytes")
            try:
                with zf.open(info) as fh:
                    data = fh.read(limits.max_file_bytes + 1)
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as err:
                raise ScanInputError(f"cannot read entry {name!r}: {err}") from err
            if len(data) > limits.max_file_bytes:
                raise ScanInputError(f"entry {name!r} is larger than its header says")
            files[name] = data
    return files, notes


def manifest_allowed_hosts(files: Mapping[str, bytes]) -> tuple[str, ...]:
    """``superapp.allowed_hosts`` from manifest.json, or () when absent or malformed (the
    manifest's validity is the bundle verifier's business, not the analyser's)."""
    raw = files.get("manifest.json")
    if raw is None:
        return ()
    try:
        doc: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return ()
    section = doc.get("superapp") if isinstance(doc, dict) else None
    hosts = section.get("allowed_hosts") if isinstance(section, dict) else None
    if not isinstance(hosts, list):
        return ()
    return tuple(h for h in hosts if isinstance(h, str))


def scan_path(
    path: Path,
    *,
    allowed_hosts: Sequence[str] | None = None,
    denylist: Denylist | None = None,
    limits: ScanLimits = DEFAULT_LIMITS,
) -> ScanReport:
    """Scan a folder or a ``.sapp``. ``allowed_hosts`` defaults to the manifest's.

    Raises:
        ScanInputError: the path is missing, or the archive is malformed or unsafe.
    """
    files, notes = read_bundle(path, limits)
    hosts = tuple(allowed_hosts) if allowed_hosts is not None else manifest_allowed_hosts(files)
    report = scan_files(files, hosts, denylist, limits=limits)
    if not notes:
        return report
    merged = sorted(set(report.findings) | set(notes), key=_order)
    return ScanReport(
        tuple(merged), report.suppressed, report.files_scanned + len(notes), report.bytes_scanned
    )
