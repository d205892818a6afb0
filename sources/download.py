"""Download of source files over HTTP or from a local mirror, and checks on the zips they come in.

``fetch`` streams a URL to a file while hashing it, retries what is worth retrying (connection
errors, timeouts, a body shorter than its Content-Length, HTTP 5xx and 429) and fails at once on
what is not (other 4xx, a file over ``max_bytes``). ``file://`` URLs and plain paths are copied
the same way, without retries, so a local mirror can stand in for the origin.

``check_zip`` reads only a zip's central directory: it refuses truncated or corrupt archives,
unsafe member paths, an unexpected member count and a declared size over a limit.
``extract_member`` then streams one member out; the CRC is verified at that point, when the
member's last byte has been read.

Shortcomings: ``timeout`` bounds each connect and each read, not the whole download, so a server
trickling bytes can hold a run for long; ``Retry-After`` headers are not read, the backoff
schedule alone decides when a 429 or 503 is retried; an interrupted download restarts from the
first byte (no HTTP range requests).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import requests

from sources.faults import pause_point

logger = logging.getLogger("fce.download")

CHUNK_BYTES = 1024 * 1024
USER_AGENT = "fce-warehouse/0.1 (data pipeline; python-requests)"
PART_SUFFIX = ".part"

_RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_FILENAME_RE = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", re.IGNORECASE)


class DownloadError(Exception):
    """A file could not be fetched or is unusable as received; the message says what to do."""


class ArchiveError(DownloadError):
    """A zip archive is truncated, corrupt or unsafe to extract."""


class _Retryable(Exception):
    """An attempt failed in a way that another attempt may fix."""


@dataclass(frozen=True)
class Fetched:
    """A completely downloaded file, with the checksum and size computed while it was written."""

    path: Path
    url: str
    final_url: str
    sha256: str
    size: int


def fetch(
    url: str,
    dest_dir: Path,
    *,
    session: requests.Session | None = None,
    timeout: float = 60,
    retries: int = 4,
    backoff: float = 1.0,
    max_bytes: int | None = None,
) -> Fetched:
    """Download ``url`` (http, https, file or a local path) into ``dest_dir`` and hash it.

    The file is named after the last segment of the final URL (after redirects), or the
    Content-Disposition file name when the server sends one, and replaces any file of that name
    in ``dest_dir``. ``retries`` is the total number of attempts; attempt n waits
    ``backoff * 2 ** (n - 2)`` seconds first. Bytes go to a ``.part`` file that is renamed only
    once complete, so a file of the final name is never partial.
    """
    if retries < 1:
        raise ValueError(f"retries must be at least 1, got {retries}")
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        return _fetch_http(url, dest_dir, session, timeout, retries, backoff, max_bytes)
    if scheme == "file":
        return _copy_local(url, _file_url_path(url), dest_dir, max_bytes)
    if scheme == "" or _DRIVE_RE.match(url):
        return _copy_local(url, Path(url), dest_dir, max_bytes)
    raise DownloadError(
        f"cannot fetch {url}: unsupported scheme {scheme!r} (use http, https, file)"
    )


def _fetch_http(
    url: str,
    dest_dir: Path,
    session: requests.Session | None,
    timeout: float,
    retries: int,
    backoff: float,
    max_bytes: int | None,
) -> Fetched:
    """Run the attempts of one HTTP download, sleeping between them."""
    own_session = session is None
    http = session if session is not None else requests.Session()
    started = time.monotonic()
    try:
        for attempt in range(1, retries + 1):
            try:
                fetched = _http_attempt(http, url, dest_dir, timeout, max_bytes)
            except _Retryable as exc:
                if attempt == retries:
                    raise DownloadError(
                        f"GET {url} failed after {attempt} attempts: {exc}; check the mirror"
                        " or retry later"
                    ) from exc.__cause__
                delay = backoff * 2 ** (attempt - 1)
                logger.warning(
                    "GET %s attempt %d/%d failed: %s; retrying in %.2f s",
                    url,
                    attempt,
                    retries,
                    exc,
                    delay,
                )
                time.sleep(delay)
                continue
            logger.info(
                "GET %s -> %s: %d bytes in %.1f s, %d attempt(s), sha256 %s",
                url,
                fetched.final_url,
                fetched.size,
                time.monotonic() - started,
                attempt,
                fetched.sha256[:8],
            )
            return fetched
    finally:
        if own_session:
            http.close()
    raise AssertionError("unreachable: the loop returns or raises")


def _http_attempt(
    http: requests.Session,
    url: str,
    dest_dir: Path,
    timeout: float,
    max_bytes: int | None,
) -> Fetched:
    """Make one GET and stream its body to disk; raise _Retryable for failures worth retrying."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    try:
        response = http.get(url, stream=True, timeout=(timeout, timeout), headers=headers)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
    except requests.RequestException as exc:
        raise DownloadError(
            f"GET {url} failed: {exc}; check the URL in the source contract"
        ) from exc
    with response:
        status = response.status_code
        if status in _RETRY_STATUSES:
            raise _Retryable(f"HTTP {status} {response.reason} from {response.url}")
        if status >= 400:
            raise DownloadError(
                f"GET {url} failed: HTTP {status} {response.reason} from {response.url}; the"
                " origin refuses this request (wrong or moved link, or missing access): check"
                " the URL in the source contract"
            )
        expected = _content_length(response)
        if max_bytes is not None and expected is not None and expected > max_bytes:
            raise DownloadError(
                f"GET {url}: the server announces {expected} bytes, over the limit of"
                f" {max_bytes}; raise max_bytes if this file really grew that much"
            )
        name = _remote_name(response)
        # Let urllib3 hand over a short body instead of raising, so that the error below can say
        # how many bytes arrived; the ChunkedEncodingError branch covers it if that ever changes.
        if hasattr(response.raw, "enforce_content_length"):
            response.raw.enforce_content_length = False
        body = _Counted(response.iter_content(CHUNK_BYTES))
        try:
            part, digest, size = _write_part(body, dest_dir, name, url, max_bytes)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Retryable(
                f"{type(exc).__name__} after {body.received} bytes of the body: {exc}"
            ) from exc
        except requests.exceptions.ChunkedEncodingError as exc:
            raise _Retryable(_short_body(url, expected, body.received, exc)) from exc
        if expected is not None and size != expected:
            part.unlink()
            raise _Retryable(_short_body(url, expected, size, None))
        path = dest_dir / name
        os.replace(part, path)
        return Fetched(path=path, url=url, final_url=response.url, sha256=digest, size=size)


def _content_length(response: requests.Response) -> int | None:
    """Return the body size the server announced, when it can be compared with the bytes read."""
    encoding = response.headers.get("Content-Encoding", "identity").lower()
    length = response.headers.get("Content-Length")
    if encoding != "identity" or length is None or not length.strip().isdigit():
        return None
    return int(length)


def _short_body(url: str, expected: int | None, received: int, exc: Exception | None) -> str:
    """Describe a body that ended before its announced length."""
    reason = f" ({exc})" if exc is not None else ""
    return (
        f"body cut short: expected {expected} bytes (Content-Length), received {received}"
        f" from {url}{reason}"
    )


class _Counted:
    """Iterate over byte chunks while counting them, so a failure can say how much arrived."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self.received = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.received += len(chunk)
            yield chunk
            pause_point("download")  # resumed once the consumer wrote the chunk to the .part file


def _remote_name(response: requests.Response) -> str:
    """Pick a file name from Content-Disposition, else from the final URL's last path segment."""
    disposition = response.headers.get("Content-Disposition", "")
    match = _FILENAME_RE.search(disposition)
    raw = (
        unquote(match.group(1))
        if match
        else PurePosixPath(unquote(urlsplit(response.url).path)).name
    )
    name = PurePosixPath(raw.replace("\\", "/")).name
    if name in ("", ".", "..") or name.endswith(PART_SUFFIX):
        return "download"
    return name


def _write_part(
    chunks: Iterable[bytes],
    dest_dir: Path,
    name: str,
    origin: str,
    max_bytes: int | None,
) -> tuple[Path, str, int]:
    """Write byte chunks to a new ``.part`` file; return it with its sha256 and size."""
    digest = hashlib.sha256()
    size = 0
    fd, part_name = tempfile.mkstemp(dir=dest_dir, prefix=f".{name}.", suffix=PART_SUFFIX)
    part = Path(part_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise DownloadError(
                        f"{origin} is larger than the limit of {max_bytes} bytes; raise max_bytes"
                        " if this file really grew that much"
                    )
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return part, digest.hexdigest(), size


def _file_url_path(url: str) -> Path:
    """Turn a file:// URL into a local path (only empty or localhost hosts are accepted)."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise DownloadError(f"cannot fetch {url}: file URLs must point to this machine")
    return Path(url2pathname(unquote(parts.path)))


def _copy_local(url: str, source: Path, dest_dir: Path, max_bytes: int | None) -> Fetched:
    """Copy a local mirror file into ``dest_dir`` in chunks, hashing it on the way."""
    started = time.monotonic()
    if not source.is_file():
        raise DownloadError(f"cannot fetch {url}: {source} is not a file; check the mirror path")

    def chunks() -> Iterator[bytes]:
        with open(source, "rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk

    try:
        part, digest, size = _write_part(chunks(), dest_dir, source.name, url, max_bytes)
    except OSError as exc:
        raise DownloadError(f"cannot read {source} from the mirror: {exc}") from exc
    path = dest_dir / source.name
    if path.resolve() == source.resolve():
        part.unlink()
        raise DownloadError(f"cannot fetch {url} into {dest_dir}: it is the file itself")
    os.replace(part, path)
    logger.info(
        "copied %s: %d bytes in %.1f s, sha256 %s",
        url,
        size,
        time.monotonic() - started,
        digest[:8],
    )
    return Fetched(path=path, url=url, final_url=url, sha256=digest, size=size)


def check_zip(
    path: Path,
    *,
    expected_members: int | None = 1,
    max_uncompressed_bytes: int | None = None,
) -> list[str]:
    """Check a zip's central directory and return its file member names (folders are skipped).

    Nothing is decompressed here: the declared sizes are trusted for the size limit, and
    ``extract_member`` enforces the real size while streaming.
    """
    path = Path(path)
    infos = _zip_infos(path)
    members = [info for info in infos if not info.is_dir()]
    for info in infos:
        _check_member_name(path, info.filename)
        if info.flag_bits & 0x1:
            raise ArchiveError(
                f"{path.name}: member {info.filename!r} is encrypted; cannot read it"
            )
    names = [info.filename for info in members]
    if expected_members is not None and len(members) != expected_members:
        shown = ", ".join(repr(name) for name in names[:10])
        raise ArchiveError(
            f"{path.name}: expected {expected_members} member(s), found {len(members)} ({shown});"
            " the producer changed the archive layout: update the source contract"
        )
    declared = sum(info.file_size for info in members)
    if max_uncompressed_bytes is not None and declared > max_uncompressed_bytes:
        raise ArchiveError(
            f"{path.name}: members declare {declared} bytes uncompressed, over the limit of"
            f" {max_uncompressed_bytes}; refusing to extract (raise the limit if the file is"
            " genuine)"
        )
    logger.info("checked %s: %d member(s), %d bytes declared", path.name, len(names), declared)
    return names


def extract_member(zip_path: Path, member: str, dest: Path, max_bytes: int | None = None) -> Path:
    """Stream one zip member to ``dest`` and return the written path.

    ``dest`` is the output file, or an existing folder that receives the member under its base
    name. The output is written to a ``.part`` file and renamed when complete and CRC-checked.
    """
    zip_path = Path(zip_path)
    _check_member_name(zip_path, member)
    dest = Path(dest)
    target = dest / PurePosixPath(member).name if dest.is_dir() else dest
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        with zipfile.ZipFile(zip_path) as archive:
            try:
                info = archive.getinfo(member)
            except KeyError:
                names = ", ".join(repr(name) for name in archive.namelist()[:10])
                raise ArchiveError(
                    f"{zip_path.name}: no member {member!r} (members: {names})"
                ) from None
            with archive.open(info) as stream:
                chunks = iter(lambda: stream.read(CHUNK_BYTES), b"")
                part, _digest, size = _write_part(
                    _capped(chunks, zip_path, member, max_bytes),
                    target.parent,
                    target.name,
                    f"{zip_path.name}:{member}",
                    None,
                )
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ArchiveError(
            f"{zip_path.name}: member {member!r} is corrupt or truncated ({exc}); download the"
            " archive again"
        ) from exc
    os.replace(part, target)
    logger.info(
        "extracted %s from %s: %d bytes in %.1f s",
        member,
        zip_path.name,
        size,
        time.monotonic() - started,
    )
    return target


def _capped(
    chunks: Iterable[bytes], zip_path: Path, member: str, max_bytes: int | None
) -> Iterator[bytes]:
    """Pass chunks through, raising ArchiveError once more than ``max_bytes`` went by."""
    written = 0
    for chunk in chunks:
        written += len(chunk)
        if max_bytes is not None and written > max_bytes:
            raise ArchiveError(
                f"{zip_path.name}: member {member!r} expands beyond {max_bytes} bytes; refusing"
                " to extract further (possible zip bomb, or raise the limit)"
            )
        yield chunk


def _zip_infos(path: Path) -> list[zipfile.ZipInfo]:
    """Read a zip's central directory, turning every failure into an actionable ArchiveError."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.infolist()
    except FileNotFoundError as exc:
        raise ArchiveError(f"{path}: no such file") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise ArchiveError(
            f"{path.name} is not a readable zip archive ({exc}): it is truncated or corrupt;"
            " download it again"
        ) from exc


def _check_member_name(path: Path, name: str) -> None:
    """Refuse member names that would be written outside the extraction folder."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or _DRIVE_RE.match(name) or ".." in parts or "\x00" in name:
        raise ArchiveError(
            f"{path.name}: unsafe member path {name!r} (absolute, drive letter or '..');"
            " refusing the archive"
        )


__all__ = [
    "ArchiveError",
    "DownloadError",
    "Fetched",
    "check_zip",
    "extract_member",
    "fetch",
]
