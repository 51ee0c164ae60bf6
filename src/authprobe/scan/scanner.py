"""One scan over the chosen files: every byte searched for the run's secrets, each text file
through detect-secrets, each JSON object checked for a storage state's shape, zip archives
(Playwright traces) opened up to `MAX_ZIP_DEPTH` deep, and file names searched too.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from authprobe.scan.detector import Detector, member_file_name
from authprobe.scan.findings import IN_FILE_NAME, STORAGE_STATE, Finding, Place, Root, Warn
from authprobe.scan.patterns import MIN_SECRET_LENGTH, secret_forms, storage_state_offset

if TYPE_CHECKING:
    from types import TracebackType

MAX_ZIP_DEPTH = 3
_ZIP_MAGIC = b"PK\x03\x04"
_NEWLINE = re.compile(rb"\r\n|\r|\n")  # the line ends of text-mode reading, as detect-secrets reads


class _Lines:
    """Line numbers of byte offsets, and back (the line ends are found at the first question).

    Lines end at LF, CRLF or CR, as in text-mode reading, the way detect-secrets numbers them, so
    every source of findings gives the same line for the same place.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data

    @functools.cached_property
    def starts(self) -> list[int]:
        return [0, *(m.end() for m in _NEWLINE.finditer(self.data))]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def start_of(self, line: int) -> int:
        return self.starts[min(max(line, 1), len(self.starts)) - 1]

    def end_of(self, line: int) -> int:
        """Where the next line starts (the end of the data after the last line)."""
        return self.starts[line] if line < len(self.starts) else len(self.data)


class Scanner:
    """One scan: the run's secrets as byte needles, detect-secrets in a private temporary
    folder for archive members (a context manager, so the folder goes also on error)."""

    def __init__(self, secrets: Mapping[str, SecretStr], warn: Warn) -> None:
        self.warn = warn
        self.files = 0
        self.needles: list[tuple[bytes, str]] = []
        for name, secret in secrets.items():
            value = secret.get_secret_value()
            if len(value) < MIN_SECRET_LENGTH:
                warn(f"{name} is shorter than {MIN_SECRET_LENGTH} characters; not searched for")
                continue
            for form, how in secret_forms(value).items():
                self.needles.append((form, f"secret {name}{how}"))
        self._stack = contextlib.ExitStack()
        self.detector: Detector | None = None

    def __enter__(self) -> Scanner:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.settings import default_settings, get_filters

        from authprobe.scan import plugin

        try:
            # detect-secrets' defaults plus authprobe's plugins, loaded the documented way (a
            # `plugins_used` entry with the file's path); its cached type-to-class map is built
            # before the entries exist, so it is rebuilt now and again when the scan ends.
            self._stack.callback(get_mapping_from_secret_type_to_class.cache_clear)
            settings = self._stack.enter_context(default_settings())
            settings.configure_plugins([{"name": cls.__name__, "path": f"file://{plugin.__file__}"}
                                        for cls in plugin.PLUGINS])
            settings.filters[f"file://{plugin.__file__}::is_prose_or_literal"] = {}  # its docstring
            get_filters.cache_clear()
            self._stack.callback(get_filters.cache_clear)
            get_mapping_from_secret_type_to_class.cache_clear()
            tmp = self._stack.enter_context(
                tempfile.TemporaryDirectory(prefix="authprobe-scan-", ignore_cleanup_errors=True)
            )
            os.chmod(tmp, 0o700)
            self.detector = Detector(Path(tmp))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stack.close()

    def display(self, name: str) -> str:
        """A path safe to print: a secret in a file name is replaced by the secret's name."""
        for needle, kind in self.needles:
            text = needle.decode("utf-8", "replace")
            if text in name:
                name = name.replace(text, f"[{kind.removeprefix('secret ')}]")
        return name

    def scan_bytes(self, place: Place, data: bytes, name: str, depth: int = 0) -> Iterator[Finding]:
        if data.startswith(_ZIP_MAGIC) and depth < MAX_ZIP_DEPTH:
            try:
                archive = zipfile.ZipFile(io.BytesIO(data))
            except zipfile.BadZipFile:
                pass  # not really a zip: scan its bytes as they are
            else:
                yield from self.scan_zip(place, archive, depth)
                return
        self.files += 1
        lines = _Lines(data)
        for needle, kind in self.needles:
            offset = data.find(needle)
            while offset != -1:  # the first occurrence on each line; the next search is past it
                line = lines.line_of(offset)
                yield place.finding(offset, kind, line)
                offset = data.find(needle, max(offset + 1, lines.end_of(line)))
        if self.detector is not None:
            for line, kind in self.detector.found(place, data, name):
                yield place.finding(lines.start_of(line), kind, line)
        state = storage_state_offset(data)
        if state is not None:
            yield place.finding(state, STORAGE_STATE, lines.line_of(state))

    def scan_zip(self, place: Place, archive: zipfile.ZipFile, depth: int) -> Iterator[Finding]:
        for info in archive.infolist():
            if info.is_dir():
                continue
            shown_name = self.display(info.filename)
            member = Place(
                f"{place.shown}!{shown_name}", place.root, place.uri,
                f"{place.member}!{shown_name}" if place.member else shown_name,
            )
            if shown_name != info.filename:
                yield member.finding(0, IN_FILE_NAME, 0)
            try:
                data = archive.read(info)
            except (RuntimeError, zipfile.BadZipFile, OSError, EOFError):
                self.warn(f"could not read {member.shown} (encrypted or damaged); it was not scanned")
                continue
            yield from self.scan_bytes(member, data, member_file_name(info.filename), depth + 1)

    def scan_file(self, root: Root, index: int, relative: str) -> Iterator[Finding]:
        given, path = (root.given, root.given) if root.mode == "file" else (
            root.given / relative, root.base / relative)
        shown = self.display(str(given))
        key = None if root.repo_prefix is None else root.repo_prefix + Path(relative).as_posix()
        place = Place(shown, index, self.display(Path(relative).as_posix()), disk=path, repo_key=key,
                       baseline=root.baseline)
        if shown != str(given):
            yield place.finding(0, IN_FILE_NAME, 0)
        try:
            data = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.warn(f"could not read {shown} ({reason}); it was not scanned")
            return
        yield from self.scan_bytes(place, data, path.name)
