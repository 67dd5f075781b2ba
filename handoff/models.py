"""Database tables of the handoff service (SQLAlchemy 2 declarative, async)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Statuses that hold a slot; only "cancelled" frees it.
ACTIVE_STATUSES = ("booked", "moved")
BOOKING_STATUSES = ("booked", "moved", "cancelled")
MODES = ("phone", "face_to_face", "video")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset, so we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.timezone.utc)
        # SQLite compares datetimes as text, so store one uniform naive-UTC format.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    intro: Mapped[str] = mapped_column(String(400), default="")
    role: Mapped[str] = mapped_column(String(120), default="")
    needs: Mapped[list[Any]] = mapped_column(default=list)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    location: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    contact_modes: Mapped[list[Any]] = mapped_column(default=list)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str] = mapped_column(String(255))
    calendar_secret: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    availability: Mapped[list["WeeklyAvailability"]] = relationship(
        back_populates="worker", lazy="raise", order_by="WeeklyAvailability.weekday"
    )
    exceptions: Mapped[list["AvailabilityException"]] = relationship(back_populates="worker", lazy="raise")


class WeeklyAvailability(Base):
    """Recurring weekly hours in local time (TIMEZONE)."""

    __tablename__ = "weekly_availability"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("end_time > start_time", name="end_after_start"),
        CheckConstraint("slot_minutes BETWEEN 10 AND 480", name="slot_minutes_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=60)

    worker: Mapped[Worker] = relationship(back_populates="availability", lazy="raise")


class AvailabilityException(Base):
    """A day off (kind "off", whole day) or extra hours (kind "extra") on one local date."""

    __tablename__ = "availability_exceptions"
    __table_args__ = (
        CheckConstraint("kind IN ('off', 'extra')", name="kind"),
        CheckConstraint(
            "kind = 'off' OR (start_time IS NOT NULL AND end_time IS NOT NULL AND end_time > start_time)",
            name="extra_has_hours",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    start_time: Mapped[dt.time | None] = mapped_column(Time)
    end_time: Mapped[dt.time | None] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=60)

    worker: Mapped[Worker] = relationship(back_populates="exceptions", lazy="raise")


class Resident(Base):
    """A person known by their channel identity (e.g. a web chat sender id)."""

    __tablename__ = "residents"
    __table_args__ = (UniqueConstraint("channel", "identity", name="uq_residents_channel_identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(40))
    identity: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(120))
    contact: Mapped[str | None] = mapped_column(String(200))
    preferred_contact: Mapped[str | None] = mapped_column(String(40))
    safe_contact: Mapped[str | None] = mapped_column(String(2000))
    language: Mapped[str | None] = mapped_column(String(8))
    previous_worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("status IN ('booked', 'moved', 'cancelled')", name="status"),
        CheckConstraint("mode IN ('phone', 'face_to_face', 'video')", name="mode"),
        CheckConstraint("end_at > start_at", name="end_after_start"),
        # The one rule that must hold under concurrency: one active booking per worker slot.
        Index(
            "uq_bookings_active_slot",
            "worker_id",
            "start_at",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    start_at: Mapped[dt.datetime] = mapped_column()
    end_at: Mapped[dt.datetime] = mapped_column()
    mode: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="booked")
    conversation_id: Mapped[str | None] = mapped_column(String(200), index=True)
    channel: Mapped[str | None] = mapped_column(String(40))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    worker: Mapped[Worker] = relationship(lazy="raise")
    resident: Mapped[Resident] = relationship(lazy="raise")

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Handoff(Base):
    """The warm handoff summary a worker reads before meeting the resident."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    presenting_issue: Mapped[str | None] = mapped_column(String(40))
    needs: Mapped[list[Any]] = mapped_column(default=list)  # [{id, label, in_their_words: [...]}]
    priority_need: Mapped[str | None] = mapped_column(String(40))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    callback_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    risks: Mapped[list[Any]] = mapped_column(default=list)
    in_their_words: Mapped[list[Any]] = mapped_column(default=list)
    what_they_want: Mapped[str | None] = mapped_column(Text)
    already_asked: Mapped[list[Any]] = mapped_column(default=list)
    resident_name: Mapped[str | None] = mapped_column(String(120))
    resident_contact: Mapped[str | None] = mapped_column(String(200))
    resident_preferred_contact: Mapped[str | None] = mapped_column(String(40))
    resident_safe_contact: Mapped[str | None] = mapped_column(Text)
    resident_language: Mapped[str | None] = mapped_column(String(8))
    resident_access_needs: Mapped[str | None] = mapped_column(Text)
    share_with_worker: Mapped[bool] = mapped_column(Boolean, default=False)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    duty_worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    read_at: Mapped[dt.datetime | None] = mapped_column()
    read_by_worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    booking: Mapped[Booking | None] = relationship(lazy="raise")


class ConsentRecord(Base):
    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"), index=True)
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    share_with_worker: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class HandoffNote(Base):
    """A note or outcome a worker adds to a handoff."""

    __tablename__ = "handoff_notes"
    __table_args__ = (CheckConstraint("kind IN ('note', 'outcome')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    worker: Mapped[Worker] = relationship(lazy="raise")


class UrgentAlert(Base):
    """One alert per urgent handoff, shown at the top of the duty worker's page."""

    __tablename__ = "urgent_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), unique=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column()


class AuditEntry(Base):
    """Who tried to read which handoff, when, and whether it was allowed — never content."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Plain integers, no foreign keys: denied attempts may name ids that do not exist,
    # and the trail must outlive deleted rows.
    worker_id: Mapped[int | None] = mapped_column(Integer, index=True)
    handoff_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(40))
    allowed: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


JOB_STATUSES = ("pending", "running", "done", "failed", "cancelled")


class Job(Base):
    """A durable background job (emails, reminders, erasure calls); see jobs.py.

    The payload holds ids only. The one exception is erase_conversation, which must carry the
    conversation id it is erasing; the runner blanks it once the job is done.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'running', 'done', 'failed', 'cancelled')", name="status"),
        # What the runner asks on every poll: due pending jobs, and running ones whose lease ran out.
        Index("ix_jobs_status_run_at", "status", "run_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    run_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AnonymousCount(Base):
    """Monthly tallies (e.g. need=benefits: 12) that outlive erasure and retention: no ids, no people."""

    __tablename__ = "anonymous_counts"
    __table_args__ = (UniqueConstraint("month", "metric", "key", name="uq_anonymous_counts_month_metric_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM (UTC)
    metric: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(60))
    count: Mapped[int] = mapped_column(Integer, default=0)
