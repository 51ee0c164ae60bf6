"""SQLite schema through the SQLAlchemy 2 ORM. Secrets (session ids, tokens, recovery codes)
are stored only as SHA-256 digests, passwords only as argon2 hashes.

Later additions are new tables, never new columns, so an older database file (`--db`)
still opens: `create_all` adds missing tables but cannot alter existing ones."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Integer, LargeBinary, String, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

ROLES: tuple[str, ...] = ("member", "editor", "admin")


def role_rank(role: str) -> int:
    return ROLES.index(role) if role in ROLES else -1


def roles_for(role: str) -> list[str]:
    """A role includes every role below it."""
    return list(ROLES[: role_rank(role) + 1])


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String, unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String)
    role: Mapped[str] = mapped_column(String, default="member")
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)
    mfa_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret: Mapped[str | None] = mapped_column(String, nullable=True)
    totp_last_timecode: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_mfa_at: Mapped[float | None] = mapped_column(Float, nullable=True)

    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String)
    used: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class Token(Base):
    """Activation and reset tokens (kind tells them apart)."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String)
    token_hash: Mapped[str] = mapped_column(String, unique=True, index=True)
    created_at: Mapped[float] = mapped_column(Float)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class ServerSession(Base):
    """One browser session; anonymous until sign-in (user_id None) so CSRF works on forms."""

    __tablename__ = "sessions"

    id_hash: Mapped[str] = mapped_column(String, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    csrf_token: Mapped[str] = mapped_column(String)
    created_at: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)
    mfa_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    next_path: Mapped[str | None] = mapped_column(String, nullable=True)
    pending_totp_secret: Mapped[str | None] = mapped_column(String, nullable=True)
    # Only read by the role_downgrade_cached defect; the clean app reads roles from users.
    cached_role: Mapped[str | None] = mapped_column(String, nullable=True)
    address: Mapped[str | None] = mapped_column(String, nullable=True)  # where it signed in

    user: Mapped[User | None] = relationship()


class Deactivation(Base):
    """A user made inactive by an administrator (admin screen or `python -m authprobe.sandbox.admin`),
    as opposed to one who never activated: the `signin_refused_screen` shape tells them apart.
    Only read while the user is inactive."""

    __tablename__ = "deactivations"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[float] = mapped_column(Float)


class ReauthConfirmation(Base):
    """`reauth` shape: a screen whose password prompt this session answered, and when. The
    rows follow their session through id rotation and go with it (foreign key cascades)."""

    __tablename__ = "reauth_confirmations"

    session_hash: Mapped[str] = mapped_column(
        ForeignKey("sessions.id_hash", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
    )
    screen: Mapped[str] = mapped_column(String, primary_key=True)
    confirmed_at: Mapped[float] = mapped_column(Float)


class PhoneNumber(Base):
    """A user's mobile number: verified by a texted code, and whether it is their second factor."""

    __tablename__ = "phone_numbers"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[str] = mapped_column(String)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    for_mfa: Mapped[bool] = mapped_column(Boolean, default=False)


class SmsCode(Base):
    """A texted one-time code; purpose is activation, mfa_setup or mfa."""

    __tablename__ = "sms_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String)
    code_hash: Mapped[str] = mapped_column(String)
    created_at: Mapped[float] = mapped_column(Float)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class SsoLink(Base):
    """An identity at the IdP, (issuer, sub), that signs in as this local user: sub is the
    IdP's stable name for the person, unlike the email, which may change hands."""

    __tablename__ = "sso_links"

    issuer: Mapped[str] = mapped_column(String, primary_key=True)
    sub: Mapped[str] = mapped_column(String, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class SsoPending(Base):
    """A sign-in through the IdP that this browser's own (anonymous) session started: what the
    callback must find again. Goes with its session, and is used once."""

    __tablename__ = "sso_pending"

    session_hash: Mapped[str] = mapped_column(
        ForeignKey("sessions.id_hash", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String)
    nonce: Mapped[str] = mapped_column(String)
    code_verifier: Mapped[str] = mapped_column(String)
    created_at: Mapped[float] = mapped_column(Float)


class SsoSession(Base):
    """How a server session signed in when it was through the IdP (no row: by password). The
    refresh token is kept as issued, unlike the app's own secrets, because it is sent back to
    the IdP; the ID token is the hint of the IdP's sign-out."""

    __tablename__ = "sso_sessions"

    session_hash: Mapped[str] = mapped_column(
        ForeignKey("sessions.id_hash", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True)
    issuer: Mapped[str] = mapped_column(String)
    sub: Mapped[str] = mapped_column(String)
    refresh_token: Mapped[str | None] = mapped_column(String, nullable=True)
    access_expires_at: Mapped[float] = mapped_column(Float)
    id_token: Mapped[str] = mapped_column(String)


class Passkey(Base):
    """A WebAuthn credential a user registered (src/authprobe/sandbox/passkeys.py): the public key
    and the last sign count the authenticator reported, so a cloned authenticator shows."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String, unique=True, index=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    transports: Mapped[str] = mapped_column(String, default="")  # comma-separated
    name: Mapped[str] = mapped_column(String)
    created_at: Mapped[float] = mapped_column(Float)
    # Only the passkey_kept_after_removal defect keeps a removed passkey's row.
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


class PasskeyChallenge(Base):
    """A challenge handed to a browser for one ceremony (register, signin, mfa), with the session
    it was issued to: used once, within PASSKEY_CHALLENGE_TTL. Keyed by its value, which the
    browser's answer carries back in its client data."""

    __tablename__ = "passkey_challenges"

    challenge: Mapped[str] = mapped_column(String, primary_key=True)  # base64url
    session_hash: Mapped[str] = mapped_column(String, index=True)
    purpose: Mapped[str] = mapped_column(String)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class SessionSignIn(Base):
    """How a server session signed in when the session endpoint must say more than
    "password": passwordless by passkey, or the second factor it passed. Goes with its session."""

    __tablename__ = "session_sign_ins"

    session_hash: Mapped[str] = mapped_column(
        ForeignKey("sessions.id_hash", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True)
    signed_in_with: Mapped[str] = mapped_column(String)  # "password" or "passkey"
    second_factor: Mapped[str | None] = mapped_column(String, nullable=True)


def make_engine(path: str) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30}
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    Base.metadata.create_all(engine)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker:  # type: ignore[type-arg]
    return sessionmaker(engine, expire_on_commit=False)
