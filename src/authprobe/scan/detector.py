"""detect-secrets (Yelp's maintained detector) over files on disk, archive members included,
and the `.secrets.baseline` that lists accepted findings.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import cast

from authprobe.scan.findings import Place, Warn
from authprobe.scan.patterns import is_dotenv

BASELINE_NAME = ".secrets.baseline"


def member_file_name(member: str) -> str:
    """The member's own file name (so detect-secrets applies its rules by extension), made safe."""
    name = PurePosixPath(member.replace("\\", "/").replace("\0", "")).name
    if name in ("", ".", ".."):
        return "member"
    stem, ext = os.path.splitext(name)
    return stem[:100] + ext[:20]


class Detector:
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

    def found(self, place: Place, data: bytes, name: str) -> set[tuple[int, str]]:
        """(line, type) of what detect-secrets finds in the file, less what the baseline lists."""
        from detect_secrets.filters.heuristic import is_non_text_file

        if is_non_text_file(name) or place.repo_key == BASELINE_NAME:
            return set()  # binary by detect-secrets' rule; its own baseline is never scanned
        with contextlib.ExitStack() as stack:
            path = place.disk or stack.enter_context(self._written(data, name))
            hits = self._scan_file(path)
            if is_dotenv(name):  # the config-file reading adds what it finds on the other lines
                seen = {line for line, kind, _ in hits if kind not in _ours()}
                hits |= {hit for hit in self._config_pass(path, name) if hit[0] not in seen}
        return {(line, kind) for line, kind, digest in _one_per_line(hits)
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


def _ours() -> dict[str, int]:
    """authprobe's plugins' types, by rank (imported late: the plugin module loads detect-secrets)."""
    from authprobe.scan.plugin import RANK

    return RANK


def _one_per_line(hits: set[tuple[int, str, str]]) -> set[tuple[int, str, str]]:
    """detect-secrets' own findings, and authprobe's plugins only on lines it found nothing on,
    one of theirs per line: `API_KEY=…` is one finding, and a baseline written by `detect-secrets
    scan` (which knows only its own plugins) still accepts the line."""
    ours = _ours()
    kept = {hit for hit in hits if hit[1] not in ours}
    taken = {line for line, _, _ in kept}
    for hit in sorted((h for h in hits if h[1] in ours), key=lambda h: (h[0], ours[h[1]], h[2])):
        if hit[0] not in taken:
            kept.add(hit)
            taken.add(hit[0])
    return kept


def load_baseline(top: Path, warn: Warn) -> frozenset[tuple[str, str, str]]:
    """(file, hashed secret, type) of each finding `.secrets.baseline` accepts, via detect-secrets."""
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
