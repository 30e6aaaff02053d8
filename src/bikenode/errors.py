"""Errors every domain raises, named for what went wrong.

They carry no HTTP: the web layer (bikenode.web.problems) maps each kind to a status code and
a problem-details answer, socket handlers map them to close codes, and the CLI prints them.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request that cannot be carried out; the message is safe to show to the user."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(DomainError):
    """The input breaks a rule: a wrong value, a file that does not parse."""


class MalformedRequest(DomainError):
    """A request not in its protocol's form, answered 400 where that protocol's own clients
    expect it (device protocols such as OsmAnd's), rather than the API's 422."""


class NotAuthenticated(DomainError):
    """The caller has not shown who they are, or their sign-in has ended."""


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""


class AccountSuspended(PermissionDenied):
    """A suspended account's sign-in, refused; `appeal_token` opens the appeal routes alone."""

    def __init__(self, detail: str, *, appeal_token: str) -> None:
        super().__init__(detail)
        self.appeal_token = appeal_token


class InsufficientScope(PermissionDenied):
    """An app's token lacks the scope a route needs (scope None: no scope opens it)."""

    def __init__(self, detail: str, *, scope: str | None) -> None:
        super().__init__(f"insufficient_scope: {detail}")
        self.scope = scope


class NotFound(DomainError):
    """There is no such thing, or the caller may not know that there is."""


class Conflict(DomainError):
    """The change clashes with the current state (a taken address, an ended session)."""


class TooLarge(DomainError):
    """The input is bigger than this node accepts."""


class Busy(DomainError):
    """The node is at capacity; the same request may succeed after `retry_after_s`."""

    def __init__(self, detail: str, *, retry_after_s: int = 5) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class TooManyRequests(DomainError):
    """The caller must wait `retry_after_s` (at least one second) before trying again."""

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = max(1, retry_after_s)


class UnsupportedVersion(DomainError):
    """The client speaks a version of `protocol` this node does not; `supported` is ours."""

    def __init__(self, detail: str, *, protocol: str, supported: str) -> None:
        super().__init__(detail)
        self.protocol = protocol
        self.supported = supported


class WrongContentType(DomainError):
    """The body comes in a content type this operation does not take."""
