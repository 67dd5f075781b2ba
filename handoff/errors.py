"""Domain exceptions raised by the data layer; views map them to HTTP."""
from __future__ import annotations


class DomainError(Exception):
    """Base class: `code` is the machine-readable error, the message is a human sentence."""

    code = "error"

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(DomainError):
    code = "not_found"


class SlotTaken(DomainError):
    code = "slot_taken"


class Conflict(DomainError):
    code = "conflict"


class Invalid(DomainError):
    """Input that is well-formed but not acceptable (e.g. not a real slot)."""

    code = "invalid"


class Forbidden(DomainError):
    code = "forbidden"
