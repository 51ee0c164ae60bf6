"""Which certificates a run trusts: the system's, plus E2E_CA_BUNDLE (a private CA).

Staging targets, mail servers and gateways often present certificates from a company CA
that the machine does not know. Every client of the run takes its trust from one `Trust`:
Python's (preflight, IMAP) as an `ssl.SSLContext`, the SMS gateway's `requests` as a
`verify=` file, Playwright's Node driver (admin API, hooks) through NODE_EXTRA_CA_CERTS,
and Chromium as SPKI hashes (the bundle's keys, and the target's own once verified here).
E2E_IGNORE_HTTPS_ERRORS=true turns verification off everywhere, as an explicit choice the
run states once.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import os
import socket
import ssl
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from authprobe.errors import ConfigError

__all__ = ["Trust", "certificate_problem", "load_bundle"]

IGNORING = ("E2E_IGNORE_HTTPS_ERRORS is true: certificates of the target, the mail server and "
            "the SMS gateway are not verified in this run.")
_CERT_SIGNS = ("CERTIFICATE_VERIFY_FAILED", "net::ERR_CERT_", "self-signed certificate",
               "self signed certificate", "unable to verify the first certificate",
               "unable to get local issuer certificate", "certificate has expired",
               "Hostname/IP does not match certificate", "SEC_ERROR_UNKNOWN_ISSUER")


def load_bundle(path: str) -> list[bytes]:
    """The DER certificates of a PEM bundle; one sentence if it is missing or holds none."""
    from cryptography import x509  # noqa: PLC0415 (only runs that trust a private CA need it)
    from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415

    try:
        data = Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise ConfigError(f"E2E_CA_BUNDLE {path} cannot be read ({exc.strerror or exc}); set it "
                          "to your CA's PEM file.") from None
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        raise ConfigError(f"E2E_CA_BUNDLE {path} holds no PEM certificate (-----BEGIN "
                          "CERTIFICATE-----); set it to your CA's PEM file.")
    return [cert.public_bytes(Encoding.DER) for cert in certs]


@dataclass(frozen=True)
class Trust:
    """The run's certificate trust: the system store, plus `ca_bundle`, or nothing (`ignore`)."""

    ca_bundle: str | None = None
    ignore: bool = False

    def ssl_context(self) -> ssl.SSLContext:
        """For Python clients: verifying against the system store plus the bundle."""
        if self.ignore:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        context = ssl.create_default_context()
        if self.ca_bundle:
            context.load_verify_locations(cadata="".join(
                ssl.DER_cert_to_PEM_cert(der) for der in load_bundle(self.ca_bundle)))
        return context

    def requests_verify(self) -> bool | str:
        """For `requests` (the SMS gateway's client): `verify=` False, True or a PEM file.

        A path replaces requests' own store (certifi), so the file holds certifi's roots and
        the bundle's certificates: public gateways keep working beside the private CA."""
        if self.ignore:
            return False
        if not self.ca_bundle:
            return True
        return self._combined_file

    @cached_property
    def _combined_file(self) -> str:
        import certifi  # noqa: PLC0415 (requests' own store)

        base = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
        return self.combined_with(base)

    def combined_with(self, base: str) -> str:
        """A PEM file of `base` (another client's store, e.g. NODE_EXTRA_CA_CERTS) plus the
        bundle, removed when this process exits."""
        bundle = "".join(ssl.DER_cert_to_PEM_cert(der) for der in load_bundle(self.ca_bundle or ""))
        try:
            first = Path(base).read_text()
        except (OSError, UnicodeDecodeError):
            first = ""  # the other client would not have read it either
        with tempfile.NamedTemporaryFile("w", prefix="authprobe-ca-", suffix=".pem",
                                         delete=False) as out:
            out.write(first + "\n" + bundle)
        atexit.register(_remove, out.name)
        return out.name

    def for_node_driver(self) -> None:
        """Make Playwright's Node driver (admin API, hooks, sweep) trust the bundle: Node reads
        NODE_EXTRA_CA_CERTS once, when the driver starts, so call this before starting
        Playwright. A user's own NODE_EXTRA_CA_CERTS is kept, with the bundle added to it."""
        if not self.ca_bundle or self.ignore:
            return
        own = os.environ.get("NODE_EXTRA_CA_CERTS")
        os.environ["NODE_EXTRA_CA_CERTS"] = (self.combined_with(own) if own else
                                             str(Path(self.ca_bundle).expanduser().resolve()))

    def chromium_args(self, origin: str | None, timeout: float = 5.0) -> list[str]:
        """Chromium's launch switch accepting the bundle's keys and `origin`'s verified
        certificate (see `spki_hashes`); other engines have no such switch."""
        if self.ignore:
            return []
        hashes = self.spki_hashes(origin, timeout)
        return [f"--ignore-certificate-errors-spki-list={','.join(hashes)}"] if hashes else []

    def spki_hashes(self, origin: str | None = None, timeout: float = 5.0) -> list[str]:
        """What Chromium's --ignore-certificate-errors-spki-list should accept: base64 SHA-256
        of SubjectPublicKeyInfos. Chromium matches them against the chain the server sends,
        which rarely holds the root, so besides the bundle's own keys (for servers that send
        their intermediate) this pins the key of `origin`'s certificate once Python has
        verified it against the system store plus the bundle. An origin that does not verify
        adds nothing: preflight names its certificate."""
        if not self.ca_bundle:
            return []
        hashes = [_spki_hash(der) for der in load_bundle(self.ca_bundle)]
        parts = urlsplit(origin or "")
        if parts.scheme == "https" and parts.hostname:
            try:
                with socket.create_connection((parts.hostname, parts.port or 443), timeout) as raw, \
                        self.ssl_context().wrap_socket(raw, server_hostname=parts.hostname) as tls:
                    leaf = tls.getpeercert(binary_form=True)
            except OSError:  # ssl.SSLError included
                leaf = None
            if leaf:
                hashes.append(_spki_hash(leaf))
        return hashes


def _spki_hash(der: bytes) -> str:
    from cryptography import x509  # noqa: PLC0415 (only runs that trust a private CA need it)
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: PLC0415

    spki = x509.load_der_x509_certificate(der).public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def _verification_error(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The ssl verification error inside `error` (urllib's reason, requests' and urllib3's
    wrapped arguments, a cause or context), if any."""
    seen: set[int] = set()
    todo: list[object] = [error]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ssl.SSLCertVerificationError):
            return item
        todo.extend([getattr(item, "reason", None), item.__cause__, item.__context__, *item.args])
    return None


def is_certificate_error(error: BaseException | str) -> bool:
    """Whether an error (Python's ssl, or a Playwright/Node message) is an untrusted certificate."""
    if isinstance(error, BaseException) and _verification_error(error) is not None:
        return True
    return any(sign.lower() in str(error).lower() for sign in _CERT_SIGNS)


def certificate_problem(url: str, error: BaseException | str, trust: Trust,
                        what: str = "The target") -> str | None:
    """The one sentence for an untrusted certificate of `what` at `url`, or None for another error."""
    if not is_certificate_error(error):
        return None
    verification = _verification_error(error) if isinstance(error, BaseException) else None
    detail = (verification.verify_message if verification is not None and verification.verify_message
              else _first_line(str(error)))
    fix = ("check that E2E_CA_BUNDLE holds the CA that signed it" if trust.ca_bundle else
           "set E2E_CA_BUNDLE to your CA's PEM file")
    return (f"{what} at {url} presents a certificate this machine does not trust ({detail}); "
            f"{fix}, or E2E_IGNORE_HTTPS_ERRORS=true to skip verification.")


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "certificate error"
    return line[:160]
