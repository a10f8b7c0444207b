"""Domain errors. The API maps each class to one HTTP status in a single table."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    title = "Domain error"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidInput(DomainError):
    """A value breaks a rule about its shape or range (HTTP 422)."""

    title = "Invalid input"


class UnknownReference(InvalidInput):
    """A body refers to an entity that does not exist (HTTP 422)."""

    title = "Unknown reference"


class IdempotencyKeyReused(InvalidInput):
    """A command key already recorded a different request (HTTP 422)."""

    title = "Idempotency key reused"


class NotFound(DomainError):
    """The entity named in the path does not exist (HTTP 404)."""

    title = "Not found"


class RuleViolation(DomainError):
    """A domain rule refuses the command in the current state (HTTP 409)."""

    title = "Refused by a domain rule"


class CycleClosed(RuleViolation):
    title = "Cycle closed"


class AlignmentLoop(RuleViolation):
    title = "Alignment loop"


class ObjectiveArchived(RuleViolation):
    title = "Objective archived"


class DuplicateEntity(RuleViolation):
    title = "Already exists"


class ConcurrentChange(RuleViolation):
    """Another command changed the same entity at the same time; retry."""

    title = "Concurrent change"


class VersionMismatch(DomainError):
    """`If-Match` named a version that is not the current one (HTTP 412)."""

    title = "Version mismatch"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, current version is {actual}")
        self.expected = expected
        self.actual = actual
