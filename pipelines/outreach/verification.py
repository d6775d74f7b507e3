"""Phone verification: a subscriber proves a phone is theirs before SMS alerts go to it.

`start` (POST /verify, `folio subscribers verify-phone`) makes a six-digit code from
`secrets`, keeps only its keyed hash (pipelines/notify/verify_codes.py) and queues the SMS
that carries it through the paid outbox, like any SMS: the compliance screen (opt-out, daily
cap; quiet hours refuse it, since a code held until morning would have expired) and the
tenant's tokens. At most STARTS_PER_HOUR verifications are queued to one number in an hour;
a new one replaces the subscriber's earlier pending one.

`check` (POST /verify/check, `--code`) compares a code in constant time. Each check takes one
of MAX_ATTEMPTS attempts with one conditional UPDATE (`attempts < 5`), so however many
checks race, no more than five codes are ever compared. After five wrong codes, or
TTL_MINUTES after it started, the verification is dead: a new one must be started. The right
code sets `subscribers.phone_verified_at`; changing the phone (`set_phone`) clears it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func, select, update

from pipelines import clock
from pipelines.billing.ledger import InsufficientTokens, balance_in, release
from pipelines.db.schema import notifications, subscribers
from pipelines.db.schema.accounts import phone_verifications
from pipelines.notify.compliance import record_block, release_slot
from pipelines.notify.paid import Refused, queue_paid
from pipelines.notify.phones import BadPhone, mask, normalise
from pipelines.notify.queue import OUTREACH_OUTBOX
from pipelines.notify.verify_codes import (
    ITEM_KIND,
    MAX_ATTEMPTS,
    TTL_MINUTES,
    code_hash,
    matches,
    new_code,
    new_salt,
    seal,
)
from pipelines.workqueue import MessageState

STARTS_PER_HOUR = 3  # verifications queued to one number in any hour
_V = phone_verifications.c
_S = subscribers.c
# Refusals of the compliance screen, kept as compliance_blocks rows like any refused SMS.
_SCREEN_RULES = ("opt_out", "daily_cap", "quiet_hours")


class VerificationError(Exception):
    """A start or check refused: HTTP status, the field or rule, the message, extra fields."""

    def __init__(self, status: int, where: str, message: str, extra: dict | None = None):
        super().__init__(message)
        self.status, self.where, self.extra = status, where, extra or {}


@dataclass(frozen=True)
class Started:
    verification_id: int
    phone: str
    expires_at: datetime
    tokens_reserved: int
    notification_id: int

    def view(self) -> dict:
        return {
            "verification_id": self.verification_id,
            "to": mask(self.phone),
            "expires_at": self.expires_at.isoformat(),
            "attempts_left": MAX_ATTEMPTS,
            "tokens_reserved": self.tokens_reserved,
        }


@dataclass(frozen=True)
class Checked:
    verification_id: int
    verified: bool
    attempts_left: int
    phone_verified_at: datetime | None = None

    def view(self) -> dict:
        return {
            "verification_id": self.verification_id,
            "verified": self.verified,
            "attempts_left": self.attempts_left,
            "phone_verified_at": (
                self.phone_verified_at.isoformat() if self.phone_verified_at else None
            ),
        }


def _subscriber(conn: Connection, tenant_id: int, subscriber_id: int):
    """The tenant's subscriber; another tenant's is "not found", exactly like a missing one."""
    row = conn.execute(
        select(_S.id, _S.phone, _S.phone_verified_at).where(
            _S.id == subscriber_id, _S.tenant_id == tenant_id
        )
    ).first()
    if row is None:
        raise VerificationError(404, "subscriber_id", f"no subscriber {subscriber_id}")
    return row


def _phone_of(sub) -> str:
    if not sub.phone:
        raise VerificationError(
            422,
            "phone",
            f"subscriber {sub.id} has no phone: set one first (folio subscribers set-phone)",
        )
    try:
        return normalise(sub.phone)
    except BadPhone as exc:
        raise VerificationError(422, "phone", f"subscriber {sub.id}: {exc}") from None


def _lock_number(conn: Connection, phone: str) -> None:
    """Serialise starts to one number, so the hourly count cannot be passed by two at once.
    PostgreSQL: a transaction-scoped advisory lock keyed by the number. SQLite: the insert
    that follows takes the database's one write lock before the count is read."""
    if conn.dialect.name == "postgresql":
        digest = hashlib.sha256(f"phone-verification:{phone}".encode()).digest()
        conn.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big") >> 1)))


def start(engine: Engine, tenant_id: int, subscriber_id: int) -> Started:
    """Start a verification of the subscriber's phone and queue its SMS; raises
    VerificationError (404, 422 no phone or a compliance rule, 402 tokens, 429 too many)."""
    now = clock.now()
    phone = None
    try:
        with engine.begin() as conn:
            phone = _phone_of(_subscriber(conn, tenant_id, subscriber_id))
            _lock_number(conn, phone)
            salt, code = new_salt(), new_code()
            vid = conn.execute(
                phone_verifications.insert()
                .values(
                    tenant_id=tenant_id,
                    subscriber_id=subscriber_id,
                    phone=phone,
                    salt=salt,
                    code_hash=code_hash(salt, phone, code),
                    sealed_code=seal(salt, code),
                    attempts=0,
                    state="pending",
                    created_at=now,
                    expires_at=now + timedelta(minutes=TTL_MINUTES),
                )
                .returning(_V.id)
            ).scalar_one()
            _within_hourly_limit(conn, phone, now)
            _end_pending(conn, subscriber_id, "replaced", vid)
            queued = _queue_sms(conn, tenant_id, subscriber_id, vid, phone, now)
            conn.execute(
                update(phone_verifications)
                .where(_V.id == vid)
                .values(notification_id=queued.notification_id)
            )
    except VerificationError as exc:
        if exc.where in _SCREEN_RULES:  # the refusal is kept, the verification is not
            with engine.begin() as conn:
                record_block(conn, tenant_id, "sms", phone, exc.where, "refused", str(exc))
        raise
    return Started(
        vid,
        phone,
        now + timedelta(minutes=TTL_MINUTES),
        queued.tokens_reserved,
        queued.notification_id,
    )


def _within_hourly_limit(conn: Connection, phone: str, now: datetime) -> None:
    since = now - timedelta(hours=1)
    recent = conn.execute(
        select(func.count(), func.min(_V.created_at)).where(
            _V.phone == phone, _V.created_at > since
        )
    ).one()
    if recent[0] > STARTS_PER_HOUR:
        retry = max(1, int((recent[1] + timedelta(hours=1) - now).total_seconds()) + 1)
        raise VerificationError(
            429,
            "phone",
            f"{STARTS_PER_HOUR} verifications were sent to {mask(phone)} in the last hour: "
            f"try again in {retry // 60 + 1} minutes",
            {"retry_after": retry},
        )


def _queue_sms(conn: Connection, tenant_id: int, subscriber_id: int, vid: int, phone, now):
    try:
        queued = queue_paid(
            conn,
            tenant_id,
            subscriber_id,
            ITEM_KIND,
            vid,
            "sms",
            phone,
            "verification",
            None,
            now,
        )
    except InsufficientTokens as exc:
        raise VerificationError(
            402,
            "tokens",
            str(exc),
            {"balance": balance_in(conn, tenant_id).available, "needed": exc.needed},
        ) from None
    except Refused as exc:
        raise VerificationError(422, exc.rule, exc.detail) from None
    if queued.not_before is not None:
        # Only quiet hours defer a message someone waits on (a full day is refused): the code
        # would expire long before the SMS may go.
        when = clock.show(queued.not_before)
        raise VerificationError(
            422,
            "quiet_hours",
            f"quiet hours at this number: no SMS before {when}; start the verification then",
        )
    return queued


def check(engine: Engine, tenant_id: int, subscriber_id: int, code: str) -> Checked:
    """Check a code against the subscriber's latest verification. A wrong code answers
    Checked(verified=False) with the attempts left; VerificationError when there is none to
    check (404 no subscriber, 409 none in progress, 410 expired or attempts used up)."""
    with engine.begin() as conn:
        outcome = _check(conn, tenant_id, subscriber_id, code, clock.now())
    if isinstance(outcome, VerificationError):
        raise outcome  # after the commit: what it ended stays ended
    return outcome


def _check(conn: Connection, tenant_id: int, subscriber_id: int, code: str, now: datetime):
    sub = _subscriber(conn, tenant_id, subscriber_id)
    latest = conn.execute(
        select(phone_verifications)
        .where(_V.subscriber_id == subscriber_id, _V.tenant_id == tenant_id)
        .order_by(_V.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.state not in ("pending", "failed", "expired"):
        return VerificationError(
            409,
            "code",
            f"no verification in progress for subscriber {subscriber_id}: start one (POST /verify)",
        )
    if _current_phone(sub) != latest.phone:
        _end(conn, latest.id, "cancelled")
        return VerificationError(
            409,
            "code",
            f"subscriber {subscriber_id}'s phone changed since verification {latest.id} "
            "started: start a new one (POST /verify)",
        )
    # One attempt taken, or none left: the conditional UPDATE is the guard under concurrency
    # (PostgreSQL re-checks it after the row lock; SQLite has one writer).
    took = conn.execute(
        update(phone_verifications)
        .where(
            _V.id == latest.id,
            _V.state == "pending",
            _V.attempts < MAX_ATTEMPTS,
            _V.expires_at > now,
        )
        .values(attempts=_V.attempts + 1)
    ).rowcount
    if not took:
        return _dead(conn, latest.id, now)
    attempts = conn.execute(select(_V.attempts).where(_V.id == latest.id)).scalar_one()
    if not matches(latest.salt, latest.phone, code, latest.code_hash):
        if attempts >= MAX_ATTEMPTS:
            _end(conn, latest.id, "failed")
        return Checked(latest.id, False, MAX_ATTEMPTS - attempts)
    conn.execute(
        update(phone_verifications)
        .where(_V.id == latest.id)
        .values(state="verified", verified_at=now, sealed_code=None)
    )
    conn.execute(
        update(subscribers)
        .where(_S.id == subscriber_id, _S.tenant_id == tenant_id)
        .values(phone_verified_at=now)
    )
    return Checked(latest.id, True, MAX_ATTEMPTS - attempts, now)


def _current_phone(sub) -> str | None:
    try:
        return normalise(sub.phone) if sub.phone else None
    except BadPhone:
        return None


def _end(conn: Connection, vid: int, state: str) -> None:
    """End a pending verification: its sealed code erased, and its SMS withdrawn if it has not
    gone yet (a stale code is not worth a text, nor its tokens)."""
    ended = conn.execute(
        update(phone_verifications)
        .where(_V.id == vid, _V.state == "pending")
        .values(state=state, sealed_code=None)
        .returning(_V.notification_id)
    ).first()
    if ended is not None and ended.notification_id is not None:
        _withdraw(conn, ended.notification_id, state)


def _end_pending(conn: Connection, subscriber_id: int, state: str, but: int = 0) -> None:
    ids = conn.execute(
        select(_V.id).where(_V.subscriber_id == subscriber_id, _V.state == "pending", _V.id != but)
    ).scalars()
    for vid in list(ids):
        _end(conn, vid, state)


def _withdraw(conn: Connection, nid: int, why: str) -> None:
    """Take a queued SMS out of the outbox: the same conditional UPDATE the sender claims it
    with (queued → sending), so exactly one of the two has it; its tokens and daily-cap slot
    go back."""
    n = notifications.c
    withdrawn = OUTREACH_OUTBOX.move(
        conn,
        nid,
        MessageState.FAILED,
        from_=MessageState.QUEUED,
        last_error=f"withdrawn: its verification was {why} before it went",
    )
    took = (
        conn.execute(select(n.to_address, n.cap_day, n.reservation_id).where(n.id == nid)).first()
        if withdrawn
        else None
    )
    if took is None:
        return
    release_slot(conn, took.to_address, took.cap_day)
    if took.reservation_id is not None:
        release(conn, took.reservation_id, reason=f"verification {why}")


def _dead(conn: Connection, vid: int, now: datetime) -> VerificationError:
    """Why a verification takes no more codes (410)."""
    row = conn.execute(select(_V.state, _V.expires_at).where(_V.id == vid)).one()
    if row.state in ("pending", "expired") and row.expires_at <= now:
        _end(conn, vid, "expired")
        why = f"expired at {clock.show(row.expires_at)}"
    elif row.state == "verified":  # a right code raced this one and won
        why = "is done: the phone is verified"
    else:
        why = f"used its {MAX_ATTEMPTS} attempts"
    return VerificationError(
        410, "code", f"verification {vid} {why}: start a new one (POST /verify)"
    )


def set_phone(engine: Engine, tenant_id: int, subscriber_id: int, phone: str | None) -> str | None:
    """Change (or, with None, remove) a subscriber's phone, stored as E.164. A new number is
    unverified: phone_verified_at is cleared and a verification in progress is cancelled.
    Setting the same number again changes nothing."""
    try:
        new = normalise(phone) if phone else None
    except BadPhone as exc:
        raise VerificationError(422, "phone", str(exc)) from None
    with engine.begin() as conn:
        sub = _subscriber(conn, tenant_id, subscriber_id)
        if new is not None and _current_phone(sub) == new:
            return new
        conn.execute(
            update(subscribers)
            .where(_S.id == subscriber_id, _S.tenant_id == tenant_id)
            .values(phone=new, phone_verified_at=None)
        )
        _end_pending(conn, subscriber_id, "cancelled")
    return new
