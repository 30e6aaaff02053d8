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
"""

from __future__ import annotations

import enum
import io
import itertools
import os
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Protocol

from bikenode.rides.formats.activity import ParseError

MIB = 1024 * 1024
GIB = 1024 * MIB
CHUNK = 64 * 1024  # small reads keep the ratio check close to the real compressed input
SPOOL_BYTES = 1 * MIB  # nested archives up to this size stay in memory, larger ones go to disk
ACTIVITY_SUFFIXES = (".fit", ".gpx", ".tcx")
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
_METHOD_NAMES = {9: "deflate64", 12: "bzip2", 14: "lzma", 93: "zstandard", 99: "AES"}


class ContainerError(ParseError):
    """The upload as a whole cannot be opened; nothing in it was read."""


@dataclass(frozen=True)
class ContainerLimits:
    """Hard limits on the work one upload may cause; each is checked while data streams."""

    #: Decompressed size of one activity file; it is held in memory whole.
    max_file_bytes: int = 256 * MIB
    #: Bytes decompressed for the whole upload, nested archives spilled to disk included.
    #: Bounds CPU time and temporary disk; passing it stops the scan.
    max_total_bytes: int = 8 * GIB
    #: Decompressed / compressed bytes of one member. Activity files compress 3-20x;
    #: deflate bombs reach 1032x. Apache POI's zip-bomb guard uses the same 100x.
    max_ratio: float = 100.0
    #: The ratio is only enforced past this many output bytes (tiny files compress well).
    ratio_grace_bytes: int = 1 * MIB
    #: Members listed, summed over every nested archive (42.zip lists a million).
    max_members: int = 50_000
    #: Central directory of one zip, read into memory before any member is.
    max_directory_bytes: int = 4 * MIB
    #: Containers (zip or gzip) around one file: export.zip/activities/1.fit.gz is 2.
    max_depth: int = 4

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value <= 0:
                raise ValueError(f"expected ContainerLimits.{name} > 0, got {value}")


DEFAULT_LIMITS = ContainerLimits()


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


class _Readable(Protocol):
    def read(self, n: int, /) -> bytes: ...


class _EntryFailed(Exception):
    """One member cannot be read; the message is the reason shown to the user."""


class _Truncated(_EntryFailed):
    """A stream ended before its end marker; what was read so far is still good."""


class _Refused(Exception):
    """A whole archive is refused before any member is read."""


class _BudgetSpent(Exception):
    """The upload passed max_total_bytes; the scan stops at the member in the message."""


_ENTRY_ERRORS = (
    _EntryFailed,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
)


def iter_activity_files(
    source: Source, name: str = "", *, limits: ContainerLimits = DEFAULT_LIMITS
) -> Iterator[ContainerEntry]:
    """Yield every activity file in an upload, one at a time, decompressed within limits.

    source is the upload's bytes, a filesystem path (read in chunks, never whole) or a
    seekable binary file (read from its start). name is what the user called the upload.
    Raises ContainerError only when the upload as a whole cannot be opened.
    """
    scan = _Scan(limits)
    with _opened(source) as raw:
        upload = _Counted(raw)
        label = name or _source_name(source)
        head = upload.read(4)
        upload.seek(0)
        try:
            if head.startswith(ZIP_MAGICS) or label.lower().endswith(".zip"):
                yield from _zip_entries(upload, label, 1, scan, top=True)
            else:
                meter = _Meter(scan, label, upload)
                yield from _content_entries(upload, label, label, 0, meter)
        except _BudgetSpent as exc:
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
            archive = _open_zip(_Counted(raw), _Scan(limits))
        except _Refused as exc:
            raise ContainerError(str(exc)) from None
        if archive is None:
            raise ContainerError("expected a zip archive with a central directory, found none")
        with archive:
            yield archive


@dataclass
class _Scan:
    """Counters shared by everything read from one upload."""

    limits: ContainerLimits
    members: int = 0
    total_bytes: int = 0


class _Meter:
    """Counts one member's output against its compressed input and the upload's budget."""

    def __init__(self, scan: _Scan, path: str, compressed: _Counted) -> None:
        # Compressed input is what was read from `compressed` since the member was opened.
        self.scan, self.path, self.out, self.inner = scan, path, 0, 0
        self._compressed, self._start = compressed, compressed.count

    def add(self, n: int, cap: int | None) -> None:
        """Count n bytes of the member's final output, held to cap bytes."""
        self.out += n
        if cap is not None and self.out > cap:
            raise _EntryFailed(f"larger than {cap} bytes once decompressed (max_file_bytes)")
        self._spend(n, self.out)

    def add_inner(self, n: int) -> None:
        """Count n bytes passed between two layers (the gzip inside a zip member)."""
        # Without this a layer that inflates to nothing (empty gzip members, a million of
        # them) would burn CPU while no output ever reached a limit.
        self.inner += n
        self._spend(n, self.inner)

    def _spend(self, n: int, produced: int) -> None:
        limits = self.scan.limits
        self.scan.total_bytes += n
        if self.scan.total_bytes > limits.max_total_bytes:
            raise _BudgetSpent(self.path)
        compressed = max(self._compressed.count - self._start, 1)
        if produced > limits.ratio_grace_bytes and produced > limits.max_ratio * compressed:
            raise _EntryFailed(
                f"expected at most {limits.max_ratio:g}x expansion (max_ratio), got"
                f" {produced} bytes out of {compressed} compressed bytes: a zip bomb?"
            )


class _Counted:
    """A seekable binary file that counts the bytes read from it: the compressed side."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw, self.count = raw, 0

    def read(self, n: int = -1, /) -> bytes:
        data = self._raw.read(n)
        self.count += len(data)
        return data

    def seek(self, offset: int, whence: int = 0, /) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True


class _Prefixed:
    """A stream with its first bytes (already read to sniff the format) put back in front."""

    def __init__(self, head: bytes, rest: _Readable) -> None:
        self._head, self._rest = head, rest

    def read(self, n: int, /) -> bytes:
        if self._head:
            out, self._head = self._head[:n], self._head[n:]
            return out
        return self._rest.read(n)


class _Inflater:
    """The decompressed side of a gzip (members concatenated) or raw deflate stream."""

    def __init__(self, src: _Readable, *, gzip: bool, meter: _Meter | None = None) -> None:
        self._src, self._gzip, self._meter = src, gzip, meter
        self._z = zlib.decompressobj(31 if gzip else -15)
        self._pending, self._done, self._fed = b"", False, 0

    @property
    def consumed(self) -> int:
        """Compressed bytes used up so far (the end of the data once the stream is done)."""
        if self._z.eof:  # what was fed past the end marker is in unused_data
            return self._fed - len(self._z.unused_data)
        return self._fed - len(self._pending)

    def read(self, n: int, /) -> bytes:
        while not self._done:
            if self._z.eof:
                self._next_member()
                continue
            if not self._pending:
                self._pending = self._pull()
            out = self._z.decompress(self._pending, n)
            self._pending = self._z.unconsumed_tail
            if out:
                return out
        return b""

    def _pull(self, *, required: bool = True) -> bytes:
        data = self._src.read(CHUNK)
        if not data and required:
            kind = "gzip" if self._gzip else "deflate"
            raise _Truncated(f"the {kind} stream ends before its end marker")
        self._fed += len(data)
        if self._meter is not None:
            self._meter.add_inner(len(data))
        return data

    def _next_member(self) -> None:
        # gzip(1) reads concatenated members and ignores zero padding or junk after the last.
        rest = self._z.unused_data
        if self._gzip and not rest:
            rest = self._pull(required=False)
        if self._gzip and rest.startswith(GZIP_MAGIC):
            self._z, self._pending = zlib.decompressobj(31), rest
        else:
            self._done = True


class _Window:
    """length bytes of a file from start on, read where they are without copying."""

    def __init__(self, f: _Counted, start: int, length: int) -> None:
        self._f, self._pos, self._left = f, start, length

    def read(self, n: int, /) -> bytes:
        if self._left <= 0:
            return b""
        self._f.seek(self._pos)
        data = self._f.read(min(n, self._left))
        if not data:
            raise _Truncated("the archive ends inside this member")
        self._pos, self._left = self._pos + len(data), self._left - len(data)
        return data


class _CrcChecked:
    """A stream that fails at its end when the bytes do not match the expected CRC-32."""

    def __init__(self, src: _Readable, expected: int) -> None:
        self._src, self._expected, self._crc = src, expected, 0

    def read(self, n: int, /) -> bytes:
        data = self._src.read(n)
        self._crc = zlib.crc32(data, self._crc)
        if not data and self._crc != self._expected:
            raise _EntryFailed(f"expected CRC-32 {self._expected:08x}, got {self._crc:08x}")
        return data


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
    if isinstance(exc, _EntryFailed):
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
    src: _Readable, path: str, name: str, depth: int, meter: _Meter
) -> Iterator[ContainerEntry]:
    """Entries for one member's bytes: unwrap gzip, open a nested zip, or read the file."""
    try:
        head = _read_upto(src, 4)
        stream = _Prefixed(head, src)
        lower = name.lower()
        if head.startswith(GZIP_MAGIC) or lower.endswith(".gz"):
            yield from _gzip_entries(stream, head, path, name, depth, meter)
        elif head.startswith(ZIP_MAGICS) or lower.endswith(".zip"):
            yield from _nested_zip_entries(stream, path, depth, meter)
        else:
            yield _activity_entry(stream, path, meter)
    except _ENTRY_ERRORS as exc:
        yield _failed(path, _describe(exc))


def _read_upto(src: _Readable, n: int) -> bytes:
    head = b""
    while len(head) < n and (more := src.read(n - len(head))):
        head += more
    return head


def _gzip_entries(
    stream: _Readable, head: bytes, path: str, name: str, depth: int, meter: _Meter
) -> Iterator[ContainerEntry]:
    if not head.startswith(GZIP_MAGIC):
        yield _failed(path, f"expected gzip data (starting 1f 8b), got {head!r}")
    elif depth >= meter.scan.limits.max_depth:
        yield _failed(path, _too_deep(meter.scan.limits))
    else:
        inner = name[:-3] if name.lower().endswith(".gz") else name
        inflater = _Inflater(stream, gzip=True, meter=meter)
        yield from _content_entries(inflater, path, inner, depth + 1, meter)


def _nested_zip_entries(
    stream: _Readable, path: str, depth: int, meter: _Meter
) -> Iterator[ContainerEntry]:
    if depth >= meter.scan.limits.max_depth:
        yield _failed(path, _too_deep(meter.scan.limits))
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spilled:
        while chunk := stream.read(CHUNK):
            meter.add(len(chunk), None)
            spilled.write(chunk)
        spilled.seek(0)
        yield from _zip_entries(_Counted(spilled), path, depth + 1, meter.scan, top=False)


def _activity_entry(stream: _Readable, path: str, meter: _Meter) -> ContainerEntry:
    # BytesIO grows in place and hands its buffer over uncopied: peak ~1x the file, not 2x.
    buffer = io.BytesIO()
    try:
        while chunk := stream.read(CHUNK):
            meter.add(len(chunk), meter.scan.limits.max_file_bytes)
            buffer.write(chunk)
    except _Truncated as exc:
        if not buffer.tell():
            return _failed(path, str(exc))
        reason = f"{exc}: kept the first {buffer.tell()} bytes, the rest is lost"
        return ContainerEntry(path, EntryStatus.DAMAGED, buffer.getvalue(), reason)
    except _ENTRY_ERRORS as exc:
        return _failed(path, _describe(exc))
    return ContainerEntry(path, EntryStatus.OK, buffer.getvalue())


def _zip_entries(
    f: _Counted, label: str, depth: int, scan: _Scan, *, top: bool
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
        overlapping = _overlapping(archive.infolist())
        for info in archive.infolist():
            yield from _zip_member(archive, info, f, prefix, depth, scan, info in overlapping)


def _count_members(scan: _Scan, listed: int) -> None:
    scan.members += listed
    if scan.members > scan.limits.max_members:
        raise _Refused(
            f"expected at most {scan.limits.max_members} members in the upload (max_members),"
            f" got {scan.members} with this archive"
        )


def _open_zip(f: _Counted, scan: _Scan) -> zipfile.ZipFile | None:
    """The zip's directory if it is within limits, or None when only local headers remain."""
    limits = scan.limits
    directory = _directory_size(f)
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


def _directory_size(f: _Counted) -> tuple[int, int] | None:
    """Members and bytes the end-of-directory record declares, read before zipfile does."""
    size = f.seek(0, os.SEEK_END)
    tail_start = max(0, size - _EOCD.size - 0xFFFF)
    f.seek(tail_start)
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        return None
    fields = _EOCD.unpack_from(tail, at)
    members, directory_bytes = fields[4], fields[5]
    if members != 0xFFFF and directory_bytes != 0xFFFFFFFF:
        return members, directory_bytes
    return _zip64_directory_size(f, tail_start + at)


def _zip64_directory_size(f: _Counted, eocd_at: int) -> tuple[int, int] | None:
    # zipfile itself expects the zip64 record right before its locator, so we do too.
    start = eocd_at - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size
    if start < 0:
        return None
    f.seek(start)
    record = f.read(_ZIP64_EOCD.size)
    if len(record) < _ZIP64_EOCD.size or record[:4] != b"PK\x06\x06":
        return None
    fields = _ZIP64_EOCD.unpack(record)
    return fields[7], fields[8]


def _overlapping(infos: list[zipfile.ZipInfo]) -> set[zipfile.ZipInfo]:
    """Members whose data runs into the next member: overlap is how 42-byte bombs fan out."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    return {
        a
        for a, b in itertools.pairwise(ordered)
        if a.header_offset + _LOCAL_HEADER.size + a.compress_size > b.header_offset
    }


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
    f: _Counted,
    prefix: str,
    depth: int,
    scan: _Scan,
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
    meter = _Meter(scan, path, f)
    try:
        with archive.open(info) as stream:
            yield from _content_entries(stream, path, info.filename, depth, meter)
    except _ENTRY_ERRORS as exc:
        yield _failed(path, _describe(exc))


@dataclass(frozen=True)
class _LocalMember:
    name: str
    flags: int
    method: int
    crc: int
    size: int | None  # compressed bytes; None when a data descriptor follows the data
    data_at: int


def _salvage_zip(
    f: _Counted, label: str, prefix: str, depth: int, scan: _Scan
) -> Iterator[ContainerEntry]:
    """Members recovered from local headers when the central directory is gone."""
    offset: int | None = 0
    found, last_good = 0, 0
    while offset is not None and (member := _read_local(f, offset)) is not None:
        try:
            _count_members(scan, 1)
        except _Refused as exc:
            yield _failed(label, str(exc))
            return
        path = prefix + member.name
        meter = _Meter(scan, path, f)
        stream = _local_stream(f, member)
        screened = _screen(path, member.name, member.flags, member.method)
        if screened is None and member.size is None and member.method != zipfile.ZIP_DEFLATED:
            screened = _failed(path, "its end cannot be found without the central directory")
        if screened is None:
            yield from _content_entries(stream, path, member.name, depth, meter)
        elif screened is not _JUNK:
            yield screened
        offset = _next_local(f, member, stream, meter)
        found += 1
        last_good = offset if offset is not None else last_good
    size = f.seek(0, os.SEEK_END)
    lost = f"from byte {last_good} of {size} on" if last_good < size else "none of the data"
    yield _failed(
        label,
        f"expected a zip central directory, found none (cut short?): found {found} members"
        f" by their local headers; lost {lost}",
    )


def _read_local(f: _Counted, offset: int) -> _LocalMember | None:
    f.seek(offset)
    raw = f.read(_LOCAL_HEADER.size)
    if len(raw) < _LOCAL_HEADER.size or raw[:4] != ZIP_MAGICS[0]:
        return None
    fields = _LOCAL_HEADER.unpack(raw)
    flags, method, crc, size, name_len, extra_len = (fields[i] for i in (3, 4, 7, 8, 10, 11))
    name_raw, extra = f.read(name_len), f.read(extra_len)
    if len(name_raw) < name_len or len(extra) < extra_len:
        return None
    name = name_raw.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
    known = None if flags & 0x8 else _zip64_size(size, extra)
    data_at = offset + _LOCAL_HEADER.size + name_len + extra_len
    return _LocalMember(name, flags, method, crc, known, data_at)


def _zip64_size(size: int, extra: bytes) -> int | None:
    if size != 0xFFFFFFFF:
        return size
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, at)
        if tag == 1 and length >= 16:
            return int(struct.unpack_from("<Q", extra, at + 12)[0])
        at += 4 + length
    return None


def _local_stream(f: _Counted, member: _LocalMember) -> _Readable:
    end = f.seek(0, os.SEEK_END)
    window = _Window(
        f, member.data_at, end - member.data_at if member.size is None else member.size
    )
    if member.method != zipfile.ZIP_DEFLATED:
        return window if member.size is None else _CrcChecked(window, member.crc)
    inflater = _Inflater(window, gzip=False)
    return inflater if member.size is None else _CrcChecked(inflater, member.crc)


def _next_local(f: _Counted, member: _LocalMember, stream: _Readable, meter: _Meter) -> int | None:
    """Where the next local header starts, or None when that cannot be known."""
    if member.size is not None:
        end = member.data_at + member.size
    elif isinstance(stream, _Inflater):
        try:  # the member may be unread (skipped) or half read (failed): find its end
            while chunk := stream.read(CHUNK):
                meter.add(len(chunk), None)
        except _ENTRY_ERRORS:
            return None
        end = member.data_at + stream.consumed
    else:
        return None  # stored data followed by a descriptor has no findable end
    f.seek(end)
    # A data descriptor (12 to 24 bytes) may sit between the data and the next header.
    at = f.read(28).find(ZIP_MAGICS[0])
    return end + at if at >= 0 else None
