"""Request bodies of API v1, validated with pydantic (422 names the field; over-long text is 413)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from .need import NEEDS, PRESENTING_ISSUES, RISKS

# Free text is capped so one request cannot fill the database; over-long text answers 413.
MAX_TEXT = 2000
MAX_ITEMS = 50

NeedId = Literal[tuple(NEEDS)]  # type: ignore[valid-type]
RiskId = Literal[tuple(RISKS)]  # type: ignore[valid-type]
PresentingIssue = Literal[tuple(PRESENTING_ISSUES)]  # type: ignore[valid-type]
Mode = Literal["phone", "face_to_face", "video"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Ident = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Channel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Language = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z]{2}$")]
TextList = Annotated[list[Text], Field(max_length=MAX_ITEMS)]


class Body(BaseModel):
    # Unknown fields are ignored so newer callers do not break older services.
    model_config = ConfigDict(extra="ignore")


class ResidentRef(Body):
    channel: Channel = "rest"
    identity: Ident


class MatchRequest(Body):
    needs: Annotated[list[NeedId], Field(max_length=len(NEEDS))] = []
    language: Language | None = None
    resident: ResidentRef | None = None
    modes: list[Mode] | None = None
    max_workers: int = Field(default=3, ge=1, le=20)
    max_slots: int = Field(default=3, ge=1, le=20)


class BookingResident(Body):
    identity: Ident
    name: Short | None = None
    contact: Short | None = None
    preferred_contact: Short | None = None
    safe_contact: Text | None = None
    language: Language | None = None


class BookingRequest(Body):
    worker_id: int
    start: AwareDatetime
    mode: Mode
    conversation_id: Ident | None = None
    channel: Channel = "rest"
    idempotency_key: Ident | None = None
    resident: BookingResident


class MoveRequest(Body):
    start: AwareDatetime


class NeedItem(Body):
    id: NeedId
    label: Short | None = None
    in_their_words: TextList = []


class HandoffResident(Body):
    name: Short | None = None
    contact: Short | None = None
    preferred_contact: Short | None = None
    safe_contact: Text | None = None
    language: Language | None = None
    access_needs: Text | None = None


class Consent(Body):
    share_with_worker: bool = False


def _needs_as_items(value: Any) -> Any:
    # Callers may send ["benefits", ...] or [{"id": "benefits", ...}, ...].
    if isinstance(value, list):
        return [{"id": item} if isinstance(item, str) else item for item in value]
    return value


class HandoffFields(Body):
    """Fields shared by create and patch."""

    presenting_issue: PresentingIssue | None = None
    needs: Annotated[list[NeedItem], Field(max_length=len(NEEDS))] = []
    priority_need: NeedId | None = None
    urgent: bool = False
    risks: Annotated[list[RiskId], Field(max_length=len(RISKS))] = []
    in_their_words: TextList = []
    what_they_want: Text | None = None
    already_asked: TextList = []
    resident: HandoffResident = HandoffResident()
    consent: Consent = Consent()
    booking_id: int | None = None

    _needs = field_validator("needs", mode="before")(_needs_as_items)


class HandoffCreate(HandoffFields):
    conversation_id: Ident
    channel: Channel = "rest"
    idempotency_key: Ident | None = None


class HandoffPatch(HandoffFields):
    """Only the fields present in the body are applied (see model_fields_set)."""


class UrgentRequest(Body):
    conversation_id: Ident
    channel: Channel = "rest"
    risks: Annotated[list[RiskId], Field(max_length=len(RISKS))] = []
    resident: HandoffResident | None = None
    callback_requested: bool = False


class ErasureRequest(Body):
    conversation_id: Ident
