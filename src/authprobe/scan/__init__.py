"""Scan a repository or a run's artifacts for secrets before they are committed or published.

Three searches; none ever prints a value, nor a hash of one.

1. **The run's own secrets** (the E2E_* values, from the environment): every byte of every
   file is searched for them raw, URL-encoded, JSON-escaped and base64-encoded, also inside zip
   archives nested up to `MAX_ZIP_DEPTH` deep (Playwright traces are zips), and in file names.
   Secrets shorter than `MIN_SECRET_LENGTH` (8) characters are not searched for: short values
   occur by chance in compressed and binary data and would drown real findings. These findings
   are placed by byte offset (they are found in bytes, often inside one-line bodies).

2. **Generic secrets, by detect-secrets** (Yelp's, a maintained detector): its default plugin
   list (keyword, high-entropy base64/hex strings, basic auth in URLs, JWT, private keys, AWS,
   Azure, GitHub, GitLab, Slack, Stripe, Twilio, OpenAI ... keys) with its default filters, so
   its `pragma: allowlist secret` comments are honoured, and its rules for what is binary (by
   extension, or text that does not decode). A `.secrets.baseline` at the root of the scanned
   git repository (detect-secrets' convention) skips the findings it lists (file, type and
   hashed secret; the line may have moved). Findings are placed by line and named by the
   detector's type.

   detect-secrets scans files on disk (its file-name filters and file-type transformers need a
   name, and its in-memory `scan_line` is for ad-hoc strings: it turns a file filter off
   globally and numbers every line 0). So an archive member is written, one at a time, into a
   private temporary folder (0700, the file 0600) under the member's own file name, scanned
   there and deleted; the folder is removed when the scan ends, also on error. Members that
   detect-secrets would skip by extension (screenshots) are never written out.

   Dotenv files (`.env`, `.env.*`, `*.env`): detect-secrets reads unquoted `KEY=value` lines
   with its config-file transformer (which quotes each value, so the high-entropy plugins see a
   40-character hex token) only when its plain pass found nothing in the whole file; here that
   reading always runs for them too, and adds what it finds on lines the plain pass found
   nothing on, so one recognised key does not hide the next line's token. (Such a line is not in
   a baseline written by `detect-secrets scan`, which never reads it that way: allowlist it.)

3. **Playwright storage state** (hand-written, because no detector knows this file format): a
   JSON object with a `cookies` list of objects with name, value and domain, or an `origins`
   list with a non-empty `localStorage`, is a signed-in browser by its shape, whatever its
   values look like (detect-secrets flags a session cookie only if its value happens to pass an
   entropy limit). Reported once per file, at its `"cookies"` (or `"origins"`) key.

What is scanned, per path given: a directory inside a git work tree gives every file git
would track there (`git ls-files --cached --others --exclude-standard`: committed files and
new untracked, not ignored ones, of any extension); a directory git ignores as a whole (an
artifact folder such as test-results/), or outside git, gives every file under it (`.git`
folders excepted); a file gives that file.
"""

from __future__ import annotations

import base64
import bisect
import configparser
import contextlib
import functools
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import quote, quote_plus

from pydantic import SecretStr

if TYPE_CHECKING:
    from types import TracebackType

MIN_SECRET_LENGTH = 8
MAX_ZIP_DEPTH = 3
MAX_STATE_BYTES = 10 * 1024 * 1024  # Playwright storage states are kilobytes; bigger JSON is not one
BASELINE_NAME = ".secrets.baseline"
STORAGE_STATE = "Playwright storage state (signed-in browser state)"
IN_FILE_NAME = "secret in file name"
_ZIP_MAGIC = b"PK\x03\x04"
_NEWLINE = re.compile(rb"\r\n|\r|\n")  # the line ends of text-mode reading, as detect-secrets reads
_STATE_KEY = re.compile(rb'"(cookies|origins)"\s*:')
_GIT_TIMEOUT = 120

Warn = Callable[[str], None]
Mode = Literal["git", "ignored", "walk", "file"]


@dataclass(frozen=True, order=True)
class Finding:
    """Where something secret-looking sits; `kind` names it, never its value.

    Equal, hashed and ordered by (path, offset, kind); `offset` is the byte offset of the value
    for the run's secrets and of the line for the other findings, so the order is by line.
    """

    path: str  # as given, joined with the file's path, then `!member` per archive level
    offset: int
    kind: str
    line: int = field(default=0, compare=False)  # 1-based; 0 for a secret in a file name
    by_line: bool = field(default=False, compare=False)  # shown by line (else by byte offset)
    root: int = field(default=0, compare=False)  # which of the scanned paths it was found under
    uri: str = field(default="", compare=False)  # the file on disk, relative to that path
    member: str = field(default="", compare=False)  # its path inside the archive(s), if any


@dataclass(frozen=True)
class Root:
    """One scanned path: which files it gave and how they were chosen."""

    given: Path
    base: Path  # the directory the files are relative to (a file's own folder)
    files: tuple[str, ...]
    mode: Mode
    repo_prefix: str | None  # `base` relative to the git work tree ("" at its top), None outside git
    baseline: frozenset[tuple[str, str, str]]  # (repo-relative file, hashed secret, type)

    def describe(self) -> str:
        return {
            "git": f"the files git would track in {self.given}",
            "ignored": f"every file in {self.given} (git ignores it)",
            "walk": f"every file in {self.given}",
            "file": str(self.given),
        }[self.mode]


@dataclass(frozen=True)
class ScanResult:
    findings: list[Finding]
    roots: list[Root]
    files: int  # files and archive members searched


@dataclass(frozen=True)
class _Place:
    shown: str
    root: int
    uri: str
    member: str = ""
    disk: Path | None = None  # the file itself, when it is one on disk (not an archive member)
    repo_key: str | None = None  # its path from the git work tree's top, for the baseline
    baseline: frozenset[tuple[str, str, str]] = frozenset()

    def finding(self, offset: int, kind: str, line: int, by_line: bool) -> Finding:
        return Finding(self.shown, offset, kind, line, by_line, self.root, self.uri, self.member)


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


class _Lines:
    """Line numbers of byte offsets, and back (the line ends are found at the first question)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    @functools.cached_property
    def starts(self) -> list[int]:
        return [0, *(m.end() for m in _NEWLINE.finditer(self.data))]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def start_of(self, line: int) -> int:
        return self.starts[min(max(line, 1), len(self.starts)) - 1]


def storage_state_offset(data: bytes) -> int | None:
    """Where a Playwright storage state (signed-in cookies or local storage) names its state."""
    if len(data) > MAX_STATE_BYTES or not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return None
    if _STATE_KEY.search(data) is None:
        return None
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    cookies, origins = doc.get("cookies"), doc.get("origins")
    signed_in = isinstance(cookies, list) and any(
        isinstance(c, dict) and {"name", "value", "domain"} <= c.keys() and c["value"] for c in cookies
    )
    stored = isinstance(origins, list) and any(
        isinstance(o, dict) and "origin" in o and isinstance(o.get("localStorage"), list)
        and any(isinstance(item, dict) and {"name", "value"} <= item.keys() for item in o["localStorage"])
        for o in origins
    )
    if not (signed_in or stored):
        return None
    key = b'"cookies"' if signed_in else b'"origins"'
    where = re.search(re.escape(key) + rb"\s*:", data)
    return where.start() if where else 0


def is_dotenv(name: str) -> bool:
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


def _member_file_name(member: str) -> str:
    """The member's own file name (so detect-secrets applies its rules by extension), made safe."""
    name = PurePosixPath(member.replace("\\", "/").replace("\0", "")).name
    if name in ("", ".", ".."):
        return "member"
    stem, ext = os.path.splitext(name)
    return stem[:100] + ext[:20]


class _Detector:
    """detect-secrets on files on disk; archive members go through a private temporary folder.

    Its `scan_file` is called directly rather than through `SecretsCollection.scan_file`, which
    keeps one entry per distinct value and file (a value repeated on three lines would be shown
    on one) and compares entries by a file name it joins with its root; the baseline is read
    with `SecretsCollection.load_from_baseline` and compared by (file, type, hashed secret).
    """

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    @contextlib.contextmanager
    def _written(self, data: bytes, name: str) -> Iterator[Path]:
        folder = Path(tempfile.mkdtemp(dir=self.tmp))  # 0700
        try:
            path = folder / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            yield path
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def found(self, place: _Place, data: bytes, name: str) -> set[tuple[int, str]]:
        """(line, type) of what detect-secrets finds in the file, less what the baseline lists."""
        from detect_secrets.filters.heuristic import is_non_text_file

        if is_non_text_file(name) or place.repo_key == BASELINE_NAME:
            return set()  # binary by detect-secrets' rule; its own baseline is never scanned
        with contextlib.ExitStack() as stack:
            path = place.disk or stack.enter_context(self._written(data, name))
            hits = self._scan_file(path)
            if is_dotenv(name):  # the config-file reading adds what it finds on the other lines
                seen = {line for line, _, _ in hits}
                hits |= {hit for hit in self._config_pass(path, name) if hit[0] not in seen}
        return {(line, kind) for line, kind, digest in hits
                if (place.repo_key, digest, kind) not in place.baseline}

    @staticmethod
    def _scan_file(path: Path) -> set[tuple[int, str, str]]:
        from detect_secrets.core.scan import scan_file

        return {(max(s.line_number, 1), s.type, s.secret_hash) for s in scan_file(str(path))}

    def _config_pass(self, path: Path, name: str) -> set[tuple[int, str, str]]:
        """detect-secrets' config-file reading of KEY=value lines (values quoted, lines kept)."""
        from detect_secrets.transformers import get_transformed_file
        from detect_secrets.types import NamedIO

        try:
            with open(path, encoding="utf-8") as text:
                lines = get_transformed_file(cast(NamedIO, text), use_eager_transformers=True)
        except (UnicodeDecodeError, configparser.Error, ValueError, OSError):
            return set()
        if not lines:
            return set()
        with self._written("\n".join(lines).encode(), name) as quoted:
            return self._scan_file(quoted)


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
        self._stack = contextlib.ExitStack()
        self.detector: _Detector | None = None

    def __enter__(self) -> _Scanner:
        from detect_secrets.settings import default_settings

        try:
            self._stack.enter_context(default_settings())
            tmp = self._stack.enter_context(
                tempfile.TemporaryDirectory(prefix="authprobe-scan-", ignore_cleanup_errors=True)
            )
            os.chmod(tmp, 0o700)
            self.detector = _Detector(Path(tmp))
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

    def scan_bytes(self, place: _Place, data: bytes, name: str, depth: int = 0) -> Iterator[Finding]:
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
            while offset != -1:
                yield place.finding(offset, kind, lines.line_of(offset), by_line=False)
                offset = data.find(needle, offset + 1)
        if self.detector is not None:
            for line, kind in self.detector.found(place, data, name):
                yield place.finding(lines.start_of(line), kind, line, by_line=True)
        state = storage_state_offset(data)
        if state is not None:
            yield place.finding(state, STORAGE_STATE, lines.line_of(state), by_line=True)

    def scan_zip(self, place: _Place, archive: zipfile.ZipFile, depth: int) -> Iterator[Finding]:
        for info in archive.infolist():
            if info.is_dir():
                continue
            shown_name = self.display(info.filename)
            member = _Place(
                f"{place.shown}!{shown_name}", place.root, place.uri,
                f"{place.member}!{shown_name}" if place.member else shown_name,
            )
            if shown_name != info.filename:
                yield member.finding(0, IN_FILE_NAME, 0, by_line=False)
            try:
                data = archive.read(info)
            except (RuntimeError, zipfile.BadZipFile, OSError, EOFError):
                self.warn(f"could not read {member.shown} (encrypted or damaged); it was not scanned")
                continue
            yield from self.scan_bytes(member, data, _member_file_name(info.filename), depth + 1)

    def scan_file(self, root: Root, index: int, relative: str) -> Iterator[Finding]:
        given, path = (root.given, root.given) if root.mode == "file" else (
            root.given / relative, root.base / relative)
        shown = self.display(str(given))
        key = None if root.repo_prefix is None else root.repo_prefix + Path(relative).as_posix()
        place = _Place(shown, index, self.display(Path(relative).as_posix()), disk=path, repo_key=key,
                       baseline=root.baseline)
        if shown != str(given):
            yield place.finding(0, IN_FILE_NAME, 0, by_line=False)
        try:
            data = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.warn(f"could not read {shown} ({reason}); it was not scanned")
            return
        yield from self.scan_bytes(place, data, path.name)


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(["git", "-C", str(directory), *args], capture_output=True,
                              timeout=_GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None  # no git here: the folder is scanned as one outside git


def _work_tree(directory: Path) -> tuple[Path, str] | None:
    """The git work tree holding `directory` and the directory's path from its top."""
    done = _git(directory, "rev-parse", "--show-toplevel", "--show-prefix")
    if done is None or done.returncode != 0:
        return None
    top, prefix = (os.fsdecode(line) for line in done.stdout.split(b"\n")[:2])
    return Path(top), prefix


def _excluded_files(top: Path) -> list[re.Pattern[str]]:
    """The `--exclude-files` regexes the baseline was written with (detect-secrets records
    them under filters_used): files the project keeps out of the scan, such as test corpora."""
    try:
        data = json.loads((top / BASELINE_NAME).read_text(encoding="utf-8"))
        patterns = [pattern for used in data.get("filters_used", [])
                    if used.get("path") == "detect_secrets.filters.regex.should_exclude_file"
                    for pattern in used.get("pattern", [])]
        return [re.compile(pattern) for pattern in patterns]
    except (OSError, ValueError, AttributeError, re.error):
        return []


def _load_baseline(top: Path, warn: Warn) -> frozenset[tuple[str, str, str]]:
    path = top / BASELINE_NAME
    if not path.is_file():
        return frozenset()
    from detect_secrets.core.baseline import load_from_file, upgrade
    from detect_secrets.core.secrets_collection import SecretsCollection

    try:
        listed = SecretsCollection.load_from_baseline(upgrade(load_from_file(str(path))))
    except Exception as exc:  # detect-secrets' own errors for unreadable or invalid baselines
        warn(f"could not read {path} ({type(exc).__name__}); the findings it lists are reported")
        return frozenset()
    return frozenset((Path(name).as_posix(), secret.secret_hash, secret.type) for name, secret in listed)


def _walk(directory: Path) -> tuple[str, ...]:
    found: list[str] = []
    for folder, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        found.extend(os.path.relpath(os.path.join(folder, name), directory) for name in sorted(files))
    return tuple(found)


def list_root(path: Path, warn: Warn = _warn_stderr) -> Root:
    """The files a path gives (see the module's docstring), relative to the path's folder."""
    folder = path if path.is_dir() else path.parent
    tree = _work_tree(folder)
    baseline = frozenset() if tree is None else _load_baseline(tree[0], warn)
    prefix = None if tree is None else tree[1]
    if not path.is_dir():
        return Root(path, folder, (path.name,), "file", prefix, baseline)
    if tree is None:
        return Root(path, path, _walk(path), "walk", None, baseline)
    ignored = _git(path, "check-ignore", "-q", ".")
    if ignored is not None and ignored.returncode == 0:
        return Root(path, path, _walk(path), "ignored", prefix, baseline)
    listed = _git(path, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    if listed is None or listed.returncode != 0:
        reason = os.fsdecode(listed.stderr).strip().partition("\n")[0] if listed else "no git"
        warn(f"git could not list the files in {path} ({reason}); every file in it is scanned")
        return Root(path, path, _walk(path), "walk", None, frozenset())
    names = dict.fromkeys(os.fsdecode(name) for name in listed.stdout.split(b"\0") if name)
    excluded = _excluded_files(tree[0])  # the baseline's --exclude-files, by repo-relative path
    names = {n: None for n in names if not any(x.search(f"{prefix}{n}") for x in excluded)}
    # deleted but not yet staged, submodules and links to folders: nothing to read as a file
    files = tuple(sorted(n for n in names if os.path.lexists(path / n) and not (path / n).is_dir()))
    return Root(path, path, files, "git", prefix, baseline)


def _run(paths: Sequence[Path], secrets: Mapping[str, SecretStr], warn: Warn) -> ScanResult:
    roots = [list_root(path, warn) for path in paths]
    found: set[Finding] = set()
    with _Scanner(secrets, warn) as scanner:
        for index, root in enumerate(roots):
            for relative in root.files:
                found.update(scanner.scan_file(root, index, relative))
    return ScanResult(sorted(found), roots, scanner.files)


def scan_paths(
    paths: Sequence[Path], secrets: Mapping[str, SecretStr], *, warn: Warn = _warn_stderr
) -> list[Finding]:
    """Findings in the files, folders and zip archives under `paths`, de-duplicated, by place."""
    return _run(paths, secrets, warn).findings


def format_findings(findings: Sequence[Finding]) -> str:
    """One `path:N: kind` line per finding: N is the line, or for the run's secrets the byte offset."""
    return "\n".join(f"{f.path}:{f.line if f.by_line else f.offset}: {f.kind}" for f in findings)


def _rule(kind: str) -> tuple[str, str]:
    """(rule id, description) of a finding's kind; the run's secrets share one rule."""
    if kind == IN_FILE_NAME:
        return "authprobe/secret-in-file-name", "A secret of the run in a file name"
    if kind.startswith("secret "):
        return "authprobe/run-secret", "A secret of the run (raw, URL-encoded, JSON-escaped or base64)"
    if kind == STORAGE_STATE:
        return "authprobe/playwright-storage-state", STORAGE_STATE
    slug = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")
    return f"detect-secrets/{slug}", f"{kind} (detect-secrets)"


def sarif(result: ScanResult) -> dict[str, Any]:
    """The findings as a SARIF 2.1.0 log: place and kind, never a value nor its hash."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in result.findings:
        rule_id, description = _rule(f.kind)
        rules.setdefault(rule_id, {"id": rule_id, "shortDescription": {"text": description}})
        location: dict[str, Any] = {
            "artifactLocation": {"uri": quote(f.uri, safe="/"), "uriBaseId": _base_id(f.root)}
        }
        text = f.kind
        if f.member:
            where = f"line {f.line}" if f.by_line else f"byte {f.offset}"
            text = f"{f.kind}, in archive member {f.member} ({where})"
        elif f.line:
            location["region"] = {"startLine": f.line}
        results.append({
            "ruleId": rule_id,
            "ruleIndex": list(rules).index(rule_id),
            "level": "error",
            "message": {"text": text},
            "locations": [{"physicalLocation": location}],
        })
    bases = {
        _base_id(i): {"uri": root.base.resolve().as_uri().rstrip("/") + "/",
                      "description": {"text": root.describe()}}
        for i, root in enumerate(result.roots)
    }
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "authprobe scan", "rules": list(rules.values())}},
            "originalUriBaseIds": bases,
            "results": results,
        }],
    }


def _base_id(index: int) -> str:
    return "SCANROOT" if index == 0 else f"SCANROOT{index + 1}"


def scan_command(paths: list[str], secrets: Mapping[str, SecretStr], *,
                 output: Literal["text", "sarif"] = "text") -> int:
    """`authprobe scan`: print findings and a summary; 1 on findings, 0 clean, 2 bad path."""
    for path in paths:
        if not os.path.lexists(path):
            message = f"{path} does not exist; pass a repository, a folder of artifacts or a file to scan."
            print(message, file=sys.stderr if output == "sarif" else sys.stdout)
            return 2
    result = _run([Path(p) for p in paths], secrets, _warn_stderr)
    findings = result.findings
    if output == "sarif":
        print(json.dumps(sarif(result), indent=2))
        return 1 if findings else 0
    if findings:
        print(format_findings(findings))
        places = len({f.path for f in findings})
        print(
            f"{len(findings)} finding(s) in {places} file(s) of {result.files} scanned; "
            "remove them before these files are committed or published."
        )
        return 1
    what = "; ".join(r.describe() for r in result.roots)
    git = any(r.mode in ("git", "ignored") for r in result.roots)
    print(f"scan: 0 findings in {result.files} files" + (f" ({what})" if git else ""))
    return 0
