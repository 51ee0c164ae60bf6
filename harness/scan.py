"""Scan run artifacts (traces, screenshots, HAR, logs) for secrets before they are published.

Playwright traces record every typed character and every cookie. This scanner looks
for the run's own long-lived secrets (raw, URL-encoded, JSON-escaped and base64) and for
common token shapes, and names what it found without ever echoing a value.

Secrets shorter than `MIN_SECRET_LENGTH` (8) characters are not searched for: short
values occur by chance in compressed and binary data and would drown real findings.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import sys
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

from pydantic import SecretStr

MIN_SECRET_LENGTH = 8
MAX_ZIP_DEPTH = 3
_ZIP_MAGIC = b"PK\x03\x04"

TOKEN_SHAPES: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    ("JWT", re.compile(rb"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")),
    ("bearer token", re.compile(rb"Bearer\s+[A-Za-z0-9._~+/=-]{20,}")),
    ("AWS access key id", re.compile(rb"AKIA[0-9A-Z]{16}")),
    ("private key", re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    (
        "credential in query",
        re.compile(
            rb"(?:[?&]|\\u0026)(?:password|passwd|pwd|pass|secret|token|api_?key|access_token)"
            rb"=[^&\s\"'#<>\\]+",
            re.IGNORECASE,
        ),
    ),
)


@dataclass(frozen=True, order=True)
class Finding:
    """Where something secret-looking sits; `kind` names it, never its value."""

    path: str
    offset: int
    kind: str


Warn = Callable[[str], None]


def _warn_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def secret_forms(value: str) -> dict[bytes, str]:
    """Byte patterns of a secret as it may appear in artifacts, mapped to how it was encoded."""
    raw = value.encode()
    forms: dict[bytes, str] = {raw: ""}
    for encoded in (quote(value, safe=""), quote_plus(value, safe="")):
        forms.setdefault(encoded.encode(), " (url-encoded)")
    for escaped in (json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
        forms.setdefault(escaped.encode(), " (json-escaped)")
    for shift in range(3):
        # The base64 of a secret depends on its alignment inside the encoded stream: for each
        # of the three alignments keep only the characters no neighbouring byte touches.
        start, end = (8 * shift + 5) // 6, (8 * (shift + len(raw))) // 6
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            forms.setdefault(encode(b"\0" * shift + raw)[start:end], " (base64)")
    return forms


class _Scanner:
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

    def display(self, name: str) -> str:
        """A path safe to print: a secret in a file name is replaced by the secret's name."""
        for needle, kind in self.needles:
            text = needle.decode("utf-8", "replace")
            if text in name:
                name = name.replace(text, f"[{kind.removeprefix('secret ')}]")
        return name

    def scan_bytes(self, shown: str, data: bytes, depth: int = 0) -> Iterator[Finding]:
        if data.startswith(_ZIP_MAGIC) and depth < MAX_ZIP_DEPTH:
            try:
                yield from self.scan_zip(shown, zipfile.ZipFile(io.BytesIO(data)), depth)
                return
            except zipfile.BadZipFile:
                pass  # not really a zip: scan its bytes as they are
        self.files += 1
        for needle, kind in self.needles:
            offset = data.find(needle)
            while offset != -1:
                yield Finding(shown, offset, kind)
                offset = data.find(needle, offset + 1)
        for shape, pattern in TOKEN_SHAPES:
            for match in pattern.finditer(data):
                yield Finding(shown, match.start(), f"token shape: {shape}")

    def scan_zip(self, shown: str, archive: zipfile.ZipFile, depth: int) -> Iterator[Finding]:
        for info in archive.infolist():
            if info.is_dir():
                continue
            member = f"{shown}!{self.display(info.filename)}"
            if member != f"{shown}!{info.filename}":
                yield Finding(member, 0, "secret in file name")
            try:
                data = archive.read(info)
            except (RuntimeError, zipfile.BadZipFile, OSError, EOFError):
                self.warn(f"could not read {member} (encrypted or damaged); it was not scanned")
                continue
            yield from self.scan_bytes(member, data, depth + 1)

    def scan_file(self, path: Path) -> Iterator[Finding]:
        shown = self.display(str(path))
        if shown != str(path):
            yield Finding(shown, 0, "secret in file name")
        try:
            data = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.warn(f"could not read {shown} ({reason}); it was not scanned")
            return
        yield from self.scan_bytes(shown, data)


def _files_under(path: Path) -> Iterator[Path]:
    if not path.is_dir():
        yield path
        return
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            yield Path(folder, name)


def scan_paths(
    paths: Sequence[Path], secrets: Mapping[str, SecretStr], *, warn: Warn = _warn_stderr
) -> list[Finding]:
    """Findings in the files, folders and zip archives under `paths`, sorted by place."""
    return sorted(_scan(paths, _Scanner(secrets, warn)))


def _scan(paths: Sequence[Path], scanner: _Scanner) -> Iterator[Finding]:
    for path in paths:
        for file in _files_under(path):
            yield from scanner.scan_file(file)


def format_findings(findings: Sequence[Finding]) -> str:
    """One `path:offset: kind` line per finding."""
    return "\n".join(f"{f.path}:{f.offset}: {f.kind}" for f in findings)


def scan_command(paths: list[str], secrets: Mapping[str, SecretStr]) -> int:
    """`authprobe scan`: print findings and a summary; 1 on findings, 0 clean, 2 bad path."""
    for path in paths:
        if not os.path.lexists(path):
            print(f"{path} does not exist; pass the folder of traces and screenshots to scan.")
            return 2
    scanner = _Scanner(secrets, _warn_stderr)
    findings = sorted(_scan([Path(p) for p in paths], scanner))
    if findings:
        print(format_findings(findings))
        places = len({f.path for f in findings})
        print(
            f"{len(findings)} finding(s) in {places} file(s) of {scanner.files} scanned; "
            "remove them before these artifacts are published."
        )
        return 1
    print(f"scan: 0 findings in {scanner.files} files")
    return 0
