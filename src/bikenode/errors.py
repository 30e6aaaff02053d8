"""Errors every domain raises; the web layer turns each into one problem-details answer."""

from __future__ import annotations


class DomainError(Exception):
    """A request that cannot be carried out; the message is safe to show to the user."""

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class InvalidInput(DomainError):
    status_code = 422
    title = "Invalid input"


class NotAuthenticated(DomainError):
    status_code = 401
    title = "Not authenticated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class PermissionDenied(DomainError):
    status_code = 403
    title = "Forbidden"


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class TooLarge(DomainError):
    status_code = 413
    title = "Content too large"


class Busy(DomainError):
    status_code = 503
    title = "Service busy"

    def __init__(self, detail: str, *, retry_after_s: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)})


class TooManyRequests(DomainError):
    status_code = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after_s))})
