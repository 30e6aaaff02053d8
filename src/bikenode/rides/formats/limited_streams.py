"""The limits on one upload and the metered streams that enforce them while data flows.

Every byte decompressed from an upload passes a Meter: it counts the member's output against
its compressed input (the ratio that gives a zip bomb away) and the whole upload's budget.
The other streams here put sniffed bytes back (Prefixed), inflate gzip or raw deflate
(Inflater), read a window of a file in place (Window) and check a CRC-32 at the end
(CrcChecked). containers.py walks an upload's layers with them.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from typing import IO, Protocol

MIB = 1024 * 1024
GIB = 1024 * MIB
CHUNK = 64 * 1024  # small reads keep the ratio check close to the real compressed input
GZIP_MAGIC = b"\x1f\x8b"


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


class Readable(Protocol):
    def read(self, n: int, /) -> bytes: ...


class EntryFailed(Exception):
    """One member cannot be read; the message is the reason shown to the user."""


class Truncated(EntryFailed):
    """A stream ended before its end marker; what was read so far is still good."""


class BudgetSpent(Exception):
    """The upload passed max_total_bytes; the scan stops at the member in the message."""


@dataclass
class Scan:
    """Counters shared by everything read from one upload."""

    limits: ContainerLimits
    members: int = 0
    total_bytes: int = 0


class Meter:
    """Counts one member's output against its compressed input and the upload's budget."""

    def __init__(self, scan: Scan, path: str, compressed: Counted) -> None:
        # Compressed input is what was read from `compressed` since the member was opened.
        self.scan, self.path, self.out, self.inner = scan, path, 0, 0
        self._compressed, self._start = compressed, compressed.count

    def add(self, n: int, cap: int | None) -> None:
        """Count n bytes of the member's final output, held to cap bytes."""
        self.out += n
        if cap is not None and self.out > cap:
            raise EntryFailed(f"larger than {cap} bytes once decompressed (max_file_bytes)")
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
            raise BudgetSpent(self.path)
        compressed = max(self._compressed.count - self._start, 1)
        if produced > limits.ratio_grace_bytes and produced > limits.max_ratio * compressed:
            raise EntryFailed(
                f"expected at most {limits.max_ratio:g}x expansion (max_ratio), got"
                f" {produced} bytes out of {compressed} compressed bytes: a zip bomb?"
            )


class Counted:
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


class Prefixed:
    """A stream with its first bytes (already read to sniff the format) put back in front."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self._head, self._rest = head, rest

    def read(self, n: int, /) -> bytes:
        if self._head:
            out, self._head = self._head[:n], self._head[n:]
            return out
        return self._rest.read(n)


class Inflater:
    """The decompressed side of a gzip (members concatenated) or raw deflate stream."""

    def __init__(self, src: Readable, *, gzip: bool, meter: Meter | None = None) -> None:
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
            raise Truncated(f"the {kind} stream ends before its end marker")
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


class Window:
    """length bytes of a file from start on, read where they are without copying."""

    def __init__(self, f: Counted, start: int, length: int) -> None:
        self._f, self._pos, self._left = f, start, length

    def read(self, n: int, /) -> bytes:
        if self._left <= 0:
            return b""
        self._f.seek(self._pos)
        data = self._f.read(min(n, self._left))
        if not data:
            raise Truncated("the archive ends inside this member")
        self._pos, self._left = self._pos + len(data), self._left - len(data)
        return data


class CrcChecked:
    """A stream that fails at its end when the bytes do not match the expected CRC-32."""

    def __init__(self, src: Readable, expected: int) -> None:
        self._src, self._expected, self._crc = src, expected, 0

    def read(self, n: int, /) -> bytes:
        data = self._src.read(n)
        self._crc = zlib.crc32(data, self._crc)
        if not data and self._crc != self._expected:
            raise EntryFailed(f"expected CRC-32 {self._expected:08x}, got {self._crc:08x}")
        return data


# What reading one member may raise; each fails that member only, never the upload.
ENTRY_ERRORS = (
    EntryFailed,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
)
