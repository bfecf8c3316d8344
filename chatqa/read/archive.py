"""ZIP archives (SPEC section 3): each member read like a file in a folder.

`members` lists an archive's members in name order, as a folder walk would: folders inside are
walked, hidden entries (``.x``, ``__MACOSX/``) left out, documentation (README, LICENSE,
``*.md``...) skipped and counted, and every member that cannot be read reported as a failure
of its own (``archive.zip!chats/a.jsonl``): encrypted, compressed with a method Python cannot
read, or refused as a decompression bomb (`MAX_MEMBER` bytes, or more than `MAX_RATIO` times
its compressed size past `RATIO_ABOVE` bytes). A member is read as a stream (`open_member`),
never extracted, gzip members transparently; damage found while reading is a failure naming
the member and the place. A corrupt archive is one failure.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from ..errors import Failure
from .files import MACOS_FOLDER, Skipped, is_documentation

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # an archive; an empty archive
MAX_MEMBER = 16 * 1024**3
"""A member that decompresses to more than this is refused."""
MAX_RATIO = 100
RATIO_ABOVE = 1024**3
"""A member larger than RATIO_ABOVE that decompresses to more than MAX_RATIO times its compressed
size is refused (exports compress 5-20 times; bombs a thousand)."""
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_CACHE: dict[str, zipfile.ZipFile] = {}
_CACHE_SIZE = 4


class Member(NamedTuple):
    """A member of a ZIP archive: its name and its position in the archive's directory."""

    name: str
    position: int


class ArchiveError(OSError):
    """A member's data cannot be read (corrupt, truncated, unsupported)."""


def is_zip(path: str | os.PathLike[str]) -> bool:
    """True when the file starts like a ZIP archive (whatever its name)."""
    try:
        with open(path, "rb") as stream:
            return stream.read(4) in ZIP_MAGIC
    except OSError:
        return False


def located(path: str | os.PathLike[str], name: str) -> str:
    """How a member is named in sources and failures: ``archive.zip!chats/a.jsonl``."""
    return f"{path}!{name}"


def members(path: str | os.PathLike[str]) -> Iterator[Member | Failure | Skipped]:
    """The members of an archive to read, in name order (see the module doc)."""
    try:
        archive = _archive(path)
        infos = archive.infolist()
    except Exception as exc:
        yield Failure(source=str(path), reason=f"corrupt ZIP archive ({_reason(exc)})")
        return
    # name order as a folder walk gives it: folder by folder (``a/x`` before ``a-b/y``)
    for index, info in sorted(enumerate(infos), key=lambda item: (item[1].filename.split("/"), item[0])):
        name = info.filename
        parts = [p for p in name.replace("\\", "/").split("/") if p]
        if info.is_dir() or not parts or any(p.startswith(".") or p == MACOS_FOLDER for p in parts):
            continue
        where = located(path, name)
        if is_documentation(parts[-1]):
            yield Skipped(Path(where))
        elif info.flag_bits & 0x1:
            yield Failure(source=where, reason="encrypted ZIP member: chatqa reads no password-protected archives; "
                                               "extract it first")
        elif info.compress_type not in _METHODS:
            yield Failure(source=where, reason=f"ZIP member compressed with method {info.compress_type}, which "
                                               "Python cannot read; extract it first")
        elif info.file_size > MAX_MEMBER or (info.file_size > RATIO_ABOVE
                                             and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
            yield Failure(source=where, reason=f"ZIP member refused: it would decompress to {info.file_size:,} bytes "
                                               f"from {info.compress_size:,} (a decompression bomb?); extract it "
                                               "yourself if it is genuine")
        else:
            yield Member(name, index)


def member_size(path: str | os.PathLike[str], member: Member) -> int:
    """The decompressed size the archive declares for a member (what reading it gives at most)."""
    return _info(path, member).file_size


def open_member(path: str | os.PathLike[str], member: Member) -> io.BufferedIOBase:
    """A member's content as a binary stream (read on the fly; damage raises ArchiveError)."""
    try:
        return _Guarded(_archive(path).open(_info(path, member)))
    except ArchiveError:
        raise
    except Exception as exc:
        raise ArchiveError(f"corrupt ZIP member ({_reason(exc)})") from None


def _info(path: str | os.PathLike[str], member: Member) -> zipfile.ZipInfo:
    infos = _archive(path).infolist()
    if not 0 <= member.position < len(infos) or infos[member.position].filename != member.name:
        raise ArchiveError("the archive changed while it was read")
    return infos[member.position]


def _archive(path: str | os.PathLike[str]) -> zipfile.ZipFile:
    """The open archive (a few stay open per process: their directories are read once)."""
    key = os.path.abspath(path)
    archive = _CACHE.get(key)
    if archive is None:
        archive = zipfile.ZipFile(key)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE))).close()
        _CACHE[key] = archive
    return archive


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.replace("File is not a zip file", "not a ZIP file")


class _Guarded(io.BufferedIOBase):
    """A member stream whose read errors are ArchiveError (an OSError: readers report them)."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self._stream = stream

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._stream, method)(*args)
        except ArchiveError:
            raise
        except Exception as exc:
            if isinstance(exc, ValueError) and self._stream.closed:
                raise
            raise ArchiveError(f"corrupt or truncated ZIP member data ({_reason(exc)})") from None

    def read(self, size: int | None = -1) -> bytes:
        return self._call("read", -1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        return self._call("read1", size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._call("readline", -1 if size is None else size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._call("seek", offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self._stream.close()
        super().close()
