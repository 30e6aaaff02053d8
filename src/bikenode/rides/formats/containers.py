"""Activity files out of untrusted uploads (.gz, .zip, nested zips), read within hard limits.

An upload is opened before any activity parser sees a byte. Every member is decompressed in
chunks and stops the moment a limit in ContainerLimits is passed; the sizes a zip header
declares are never trusted. One bad member becomes one FAILED entry and the scan goes on.

What is reported how:
- junk (directories, ``__MACOSX/``, dotfiles such as ``.DS_Store``): dropped silently;
- other members whose name is not an activity (.csv, .json, images...): SKIPPED, unread;
- unsafe names (``../``, absolute, drive letters, backslashes, control characters),
  encrypted members, compression other than stored/deflate, overlapping members, CRC
  errors, limits passed: FAILED, with the reason;
- a gzip stream or zip member cut short: DAMAGED, with the bytes read before the cut;
- a zip without its central directory (a cut download): members are recovered from their
  local headers, and one FAILED entry for the archive says from which byte on data was lost.

ContainerError is raised only for the upload as a whole: not a zip although it must be one,
or a directory over the limits. Peak memory is about one activity file (max_file_bytes)
plus one zip directory (max_directory_bytes, about 540 bytes of Python objects per member).

The limits and the metered streams that enforce them are in limited_streams.py; the zip
structure read by hand (directory sizes, overlaps, local headers) is in zip_layout.py.
"""

from __future__ import annotations

import enum
import io
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

from bikenode.rides.formats.activity import ParseError
from bikenode.rides.formats.limited_streams import (
    CHUNK,
    DEFAULT_LIMITS,
    ENTRY_ERRORS,
    GZIP_MAGIC,
    MIB,
    BudgetSpent,
    ContainerLimits,
    Counted,
    EntryFailed,
    Inflater,
    Meter,
    Prefixed,
    Readable,
    Scan,
    Truncated,
)
from bikenode.rides.formats.zip_layout import (
    ZIP_MAGICS,
    directory_size,
    local_stream,
    next_local_header,
    overlapping_members,
    read_local_header,
)

__all__ = [
    "DEFAULT_LIMITS",
    "ContainerEntry",
    "ContainerError",
    "ContainerLimits",
    "EntryStatus",
    "Source",
    "is_zip",
    "iter_activity_files",
    "open_zip",
    "unsafe_name_reason",
    "zip_member_problem",
]

SPOOL_BYTES = 1 * MIB  # nested archives up to this size stay in memory, larger ones go to disk
ACTIVITY_SUFFIXES = (".fit", ".gpx", ".tcx")
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
_METHOD_NAMES = {9: "deflate64", 12: "bzip2", 14: "lzma", 93: "zstandard", 99: "AES"}


class ContainerError(ParseError):
    """The upload as a whole cannot be opened; nothing in it was read."""


class EntryStatus(enum.StrEnum):
    """What happened to one file in an upload."""

    OK = "ok"  # data is the whole decompressed file
    DAMAGED = "damaged"  # data is what was read before the file was cut short
    FAILED = "failed"  # no data; reason says why
    SKIPPED = "skipped"  # not an activity file, not read


@dataclass(frozen=True)
class ContainerEntry:
    """One file found in an upload: its decompressed bytes, or why they are missing."""

    #: Where it sits in the upload; a nested archive is a folder: "a.zip/b/c.fit.gz".
    path: str
    status: EntryStatus
    data: bytes | None = field(default=None, repr=False)
    reason: str = ""

    @property
    def name(self) -> str:
        """The name to give parse_activity: the path without a trailing .gz."""
        return self.path[:-3] if self.path.lower().endswith(".gz") else self.path


Source = bytes | str | os.PathLike[str] | IO[bytes]


class _Refused(Exception):
    """A whole archive is refused before any member is read."""


def iter_activity_files(
    source: Source, name: str = "", *, limits: ContainerLimits = DEFAULT_LIMITS
) -> Iterator[ContainerEntry]:
    """Yield every activity file in an upload, one at a time, decompressed within limits.

    source is the upload's bytes, a filesystem path (read in chunks, never whole) or a
    seekable binary file (read from its start). name is what the user called the upload.
    Raises ContainerError only when the upload as a whole cannot be opened.
    """
    scan = Scan(limits)
    with _opened(source) as raw:
        upload = Counted(raw)
        label = name or _source_name(source)
        head = upload.read(4)
        upload.seek(0)
        try:
            if head.startswith(ZIP_MAGICS) or label.lower().endswith(".zip"):
                yield from _zip_entries(upload, label, 1, scan, top=True)
            else:
                meter = Meter(scan, label, upload)
                yield from _content_entries(upload, label, label, 0, meter)
        except BudgetSpent as exc:
            yield _failed(str(exc), f"not read: {_total_limit(limits)}; the scan stopped here")


def is_zip(source: Source) -> bool:
    """Whether an upload starts like a zip archive (its name is not asked)."""
    with _opened(source) as raw:
        return raw.read(4).startswith(ZIP_MAGICS)


def unsafe_name_reason(name: str) -> str | None:
    """Why a member name could escape the folder it is unpacked into, or None if it is safe."""
    expected = f"expected a relative member name, got {name!r}"
    if not name:
        return "expected a member name, got an empty one"
    if "\\" in name:
        return f"{expected} (backslashes are Windows separators)"
    if name.startswith("/") or _DRIVE_LETTER.match(name):
        return f"{expected} (an absolute path)"
    if ".." in name.split("/"):
        return f"{expected} (it climbs out with '..')"
    if any(ord(char) < 32 for char in name):
        return f"{expected} (it holds control characters)"
    return None


def zip_member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a zip member cannot be read safely (encrypted, unsupported method), or None."""
    return _method_problem(info.flag_bits, info.compress_type)


def _method_problem(flags: int, method: int) -> str | None:
    if flags & 0x1:
        return "member is encrypted; password-protected archives are not supported"
    if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        # zipfile inflates bzip2 and lzma without an output bound per read, so one small read
        # could fill memory before any limit is checked.
        kind = _METHOD_NAMES.get(method, "unknown")
        return f"expected compression method stored (0) or deflate (8), got {method} ({kind})"
    return None


@contextmanager
def open_zip(
    source: Source, *, limits: ContainerLimits = DEFAULT_LIMITS
) -> Iterator[zipfile.ZipFile]:
    """Open a zip upload whose directory is within limits; ContainerError if it is not one."""
    with _opened(source) as raw:
        try:
            archive = _open_zip(Counted(raw), Scan(limits))
        except _Refused as exc:
            raise ContainerError(str(exc)) from None
        if archive is None:
            raise ContainerError("expected a zip archive with a central directory, found none")
        with archive:
            yield archive


@contextmanager
def _opened(source: Source) -> Iterator[IO[bytes]]:
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    elif isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            yield f
    else:
        source.seek(0)
        yield source


def _source_name(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        return os.path.basename(os.fspath(source))
    return str(getattr(source, "name", "") or "upload")


def _failed(path: str, reason: str) -> ContainerEntry:
    return ContainerEntry(path, EntryStatus.FAILED, reason=reason)


def _describe(exc: Exception) -> str:
    if isinstance(exc, EntryFailed):
        return str(exc)
    if isinstance(exc, zlib.error):
        return f"the compressed data is corrupt ({exc})"
    if isinstance(exc, zipfile.BadZipFile):
        return f"the zip member is unreadable ({exc})"
    if isinstance(exc, EOFError):
        return "the archive ends inside this member"
    return f"unreadable ({type(exc).__name__}: {exc})"


def _too_deep(limits: ContainerLimits) -> str:
    return f"expected at most {limits.max_depth} containers around a file (max_depth), got more"


def _total_limit(limits: ContainerLimits) -> str:
    return f"the upload decompresses to more than {limits.max_total_bytes} bytes (max_total_bytes)"


def _content_entries(
    src: Readable, path: str, name: str, depth: int, meter: Meter
) -> Iterator[ContainerEntry]:
    """Entries for one member's bytes: unwrap gzip, open a nested zip, or read the file."""
    try:
        head = _read_upto(src, 4)
        stream = Prefixed(head, src)
        lower = name.lower()
        if head.startswith(GZIP_MAGIC) or lower.endswith(".gz"):
            yield from _gzip_entries(stream, head, path, name, depth, meter)
        elif head.startswith(ZIP_MAGICS) or lower.endswith(".zip"):
            yield from _nested_zip_entries(stream, path, depth, meter)
        else:
            yield _activity_entry(stream, path, meter)
    except ENTRY_ERRORS as exc:
        yield _failed(path, _describe(exc))


def _read_upto(src: Readable, n: int) -> bytes:
    head = b""
    while len(head) < n and (more := src.read(n - len(head))):
        head += more
    return head


def _gzip_entries(
    stream: Readable, head: bytes, path: str, name: str, depth: int, meter: Meter
) -> Iterator[ContainerEntry]:
    if not head.startswith(GZIP_MAGIC):
        yield _failed(path, f"expected gzip data (starting 1f 8b), got {head!r}")
    elif depth >= meter.scan.limits.max_depth:
        yield _failed(path, _too_deep(meter.scan.limits))
    else:
        inner = name[:-3] if name.lower().endswith(".gz") else name
        inflater = Inflater(stream, gzip=True, meter=meter)
        yield from _content_entries(inflater, path, inner, depth + 1, meter)


def _nested_zip_entries(
    stream: Readable, path: str, depth: int, meter: Meter
) -> Iterator[ContainerEntry]:
    if depth >= meter.scan.limits.max_depth:
        yield _failed(path, _too_deep(meter.scan.limits))
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spilled:
        while chunk := stream.read(CHUNK):
            meter.add(len(chunk), None)
            spilled.write(chunk)
        spilled.seek(0)
        yield from _zip_entries(Counted(spilled), path, depth + 1, meter.scan, top=False)


def _activity_entry(stream: Readable, path: str, meter: Meter) -> ContainerEntry:
    # BytesIO grows in place and hands its buffer over uncopied: peak ~1x the file, not 2x.
    buffer = io.BytesIO()
    try:
        while chunk := stream.read(CHUNK):
            meter.add(len(chunk), meter.scan.limits.max_file_bytes)
            buffer.write(chunk)
    except Truncated as exc:
        if not buffer.tell():
            return _failed(path, str(exc))
        reason = f"{exc}: kept the first {buffer.tell()} bytes, the rest is lost"
        return ContainerEntry(path, EntryStatus.DAMAGED, buffer.getvalue(), reason)
    except ENTRY_ERRORS as exc:
        return _failed(path, _describe(exc))
    return ContainerEntry(path, EntryStatus.OK, buffer.getvalue())


def _zip_entries(
    f: Counted, label: str, depth: int, scan: Scan, *, top: bool
) -> Iterator[ContainerEntry]:
    """Entries for every member of one zip (label: its path; depth: containers around members)."""
    prefix = "" if top else label + "/"
    try:
        archive = _open_zip(f, scan)
    except _Refused as exc:
        if top:
            raise ContainerError(str(exc)) from None
        yield _failed(label, str(exc))
        return
    if archive is None:
        yield from _salvage_zip(f, label, prefix, depth, scan)
        return
    with archive:
        overlapping = overlapping_members(archive.infolist())
        for info in archive.infolist():
            yield from _zip_member(archive, info, f, prefix, depth, scan, info in overlapping)


def _count_members(scan: Scan, listed: int) -> None:
    scan.members += listed
    if scan.members > scan.limits.max_members:
        raise _Refused(
            f"expected at most {scan.limits.max_members} members in the upload (max_members),"
            f" got {scan.members} with this archive"
        )


def _open_zip(f: Counted, scan: Scan) -> zipfile.ZipFile | None:
    """The zip's directory if it is within limits, or None when only local headers remain."""
    limits = scan.limits
    directory = directory_size(f)
    if directory is not None:
        members, size = directory
        if size > limits.max_directory_bytes:
            raise _Refused(
                f"expected a zip directory of at most {limits.max_directory_bytes} bytes"
                f" (max_directory_bytes), got {size}"
            )
        if members > limits.max_members:
            raise _Refused(f"expected at most {limits.max_members} members, got {members}")
        try:
            archive = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
            pass  # a damaged directory: fall back to the local headers below
        else:
            try:
                _count_members(scan, len(archive.infolist()))
            except _Refused:
                archive.close()
                raise
            return archive
    f.seek(0)
    head = f.read(4)
    if head != ZIP_MAGICS[0]:
        raise _Refused(f"expected a zip archive (starting PK\\x03\\x04), got {head!r}")
    return None


_JUNK = ContainerEntry("", EntryStatus.SKIPPED)


def _screen(path: str, name: str, flags: int, method: int) -> ContainerEntry | None:
    """The entry to report instead of reading a member (_JUNK: none), or None to read it."""
    unsafe = unsafe_name_reason(name)
    if unsafe:
        return _failed(path, unsafe)
    if _is_junk(name):
        return _JUNK
    lower = name.lower().removesuffix(".gz")
    if not lower.endswith((*ACTIVITY_SUFFIXES, ".zip")):
        got = os.path.splitext(name)[1] or "no extension"
        return ContainerEntry(
            path, EntryStatus.SKIPPED, reason=f"expected .fit, .gpx, .tcx, .gz or .zip, got {got}"
        )
    problem = _method_problem(flags, method)
    return _failed(path, problem) if problem else None


def _is_junk(name: str) -> bool:
    """Folders, macOS resource forks and dotfiles: nobody uploads them on purpose."""
    hidden = [p for p in name.split("/") if p == "__MACOSX" or (p.startswith(".") and p != ".")]
    return name.endswith("/") or bool(hidden)


def _zip_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    f: Counted,
    prefix: str,
    depth: int,
    scan: Scan,
    overlaps: bool,
) -> Iterator[ContainerEntry]:
    path = prefix + info.filename
    screened = _screen(path, info.filename, info.flag_bits, info.compress_type)
    if screened is None and overlaps:
        screened = _failed(path, "its data overlaps the next member's, a zip bomb trick")
    if screened is not None:
        if screened is not _JUNK:
            yield screened
        return
    meter = Meter(scan, path, f)
    try:
        with archive.open(info) as stream:
            yield from _content_entries(stream, path, info.filename, depth, meter)
    except ENTRY_ERRORS as exc:
        yield _failed(path, _describe(exc))


def _salvage_zip(
    f: Counted, label: str, prefix: str, depth: int, scan: Scan
) -> Iterator[ContainerEntry]:
    """Members recovered from local headers when the central directory is gone."""
    offset: int | None = 0
    found, last_good = 0, 0
    while offset is not None and (member := read_local_header(f, offset)) is not None:
        try:
            _count_members(scan, 1)
        except _Refused as exc:
            yield _failed(label, str(exc))
            return
        path = prefix + member.name
        meter = Meter(scan, path, f)
        stream = local_stream(f, member)
        screened = _screen(path, member.name, member.flags, member.method)
        if screened is None and member.size is None and member.method != zipfile.ZIP_DEFLATED:
            screened = _failed(path, "its end cannot be found without the central directory")
        if screened is None:
            yield from _content_entries(stream, path, member.name, depth, meter)
        elif screened is not _JUNK:
            yield screened
        offset = next_local_header(f, member, stream, meter)
        found += 1
        last_good = offset if offset is not None else last_good
    size = f.seek(0, os.SEEK_END)
    lost = f"from byte {last_good} of {size} on" if last_good < size else "none of the data"
    yield _failed(
        label,
        f"expected a zip central directory, found none (cut short?): found {found} members"
        f" by their local headers; lost {lost}",
    )
