"""Scan a repository or a run's artifacts for secrets before they are committed or published.

Three searches; none ever prints a value, nor a hash of one.

1. **The run's own secrets** (the E2E_* values, from the environment): every byte of every
   file is searched for them raw, URL-encoded, JSON-escaped and base64-encoded, also inside zip
   archives nested up to `MAX_ZIP_DEPTH` deep (Playwright traces are zips), and in file names.
   Secrets shorter than `MIN_SECRET_LENGTH` (8) characters are not searched for: short values
   occur by chance in compressed and binary data and would drown real findings. They are found
   in bytes and placed by line (LF, CRLF or CR, as detect-secrets counts), once per line.

2. **Generic secrets, by detect-secrets** (Yelp's, a maintained detector): its default plugin
   list (keyword, high-entropy base64/hex strings, basic auth in URLs, JWT, private keys, AWS,
   Azure, GitHub, GitLab, Slack, Stripe, Twilio, OpenAI ... keys) plus authprobe's own plugins
   (`plugin`: values under `*_TOKEN`/`*_SECRET`/`*_KEY`/`*_PASSWORD` names, `Authorization`/
   `Bearer` values, `?token=` in URLs; on lines detect-secrets found nothing on, one per line), with
   its default filters, so
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

The modules, one concern each (layer L2, standing on L0 alone: `authprobe.sarif`, the
standard library, pydantic and detect-secrets):

    findings   a finding, a scanned path, a scan's result
    patterns   the run's own secrets in their encodings; a storage state by its shape
    plugin     detect-secrets plugins for what its own miss (token names, Authorization, ?token=)
    detector   detect-secrets over files and archive members; the baseline
    scanner    one scan over the chosen files and the archives inside them
    listing    which files a path gives (git, ignored folders, plain folders)
    report     text and SARIF
    command    `authprobe scan`
"""

from __future__ import annotations

from authprobe.scan.command import scan_command, scan_paths
from authprobe.scan.detector import BASELINE_NAME
from authprobe.scan.findings import IN_FILE_NAME, STORAGE_STATE, Finding, Root, ScanResult
from authprobe.scan.listing import list_root
from authprobe.scan.patterns import (
    MAX_STATE_BYTES,
    MIN_SECRET_LENGTH,
    is_dotenv,
    secret_forms,
    storage_state_offset,
)
from authprobe.scan.report import format_findings, sarif
from authprobe.scan.scanner import MAX_ZIP_DEPTH

__all__ = [
    "BASELINE_NAME",
    "IN_FILE_NAME",
    "MAX_STATE_BYTES",
    "MAX_ZIP_DEPTH",
    "MIN_SECRET_LENGTH",
    "STORAGE_STATE",
    "Finding",
    "Root",
    "ScanResult",
    "format_findings",
    "is_dotenv",
    "list_root",
    "sarif",
    "scan_command",
    "scan_paths",
    "secret_forms",
    "storage_state_offset",
]
