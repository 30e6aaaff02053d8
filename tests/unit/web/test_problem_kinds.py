"""Every domain error kind answers with its own status code; the codes live at the web edge."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import pytest

import bikenode
from bikenode.errors import (
    Busy,
    Conflict,
    DomainError,
    InvalidInput,
    MalformedRequest,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TooLarge,
    TooManyRequests,
    UnsupportedVersion,
    WrongContentType,
)
from bikenode.web.problems import PROBLEM_KINDS, problem_headers, problem_kind


def _every_module() -> None:
    for module in pkgutil.walk_packages(bikenode.__path__, "bikenode."):
        if module.name.endswith("__main__") or ".migrations" in module.name:
            continue  # __main__ runs the CLI; migrations are scripts for Alembic
        importlib.import_module(module.name)


def _subclasses(kind: type[DomainError]) -> Iterator[type[DomainError]]:
    for sub in kind.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def domain_errors_in_the_codebase() -> list[type[DomainError]]:
    _every_module()
    return [kind for kind in _subclasses(DomainError) if kind.__module__.startswith("bikenode.")]


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (DomainError, 400),
        (InvalidInput, 422),
        (MalformedRequest, 400),
        (NotAuthenticated, 401),
        (PermissionDenied, 403),
        (NotFound, 404),
        (Conflict, 409),
        (UnsupportedVersion, 412),
        (TooLarge, 413),
        (WrongContentType, 415),
        (TooManyRequests, 429),
        (Busy, 503),
    ],
)
def test_each_error_kind_answers_with_its_status(kind: type[DomainError], status: int) -> None:
    assert problem_kind(kind).status == status


def test_every_domain_error_in_the_codebase_has_a_status_of_its_own_kind() -> None:
    found = domain_errors_in_the_codebase()
    assert len(found) >= 14  # the kinds above and the domains' own subclasses
    for kind in found:
        base = next(b for b in kind.__mro__ if b in PROBLEM_KINDS)
        assert base is not DomainError, f"{kind.__qualname__} answers only the generic 400"
        assert 400 <= problem_kind(kind).status < 600


def test_a_subclass_without_an_entry_answers_as_its_base() -> None:
    class RouteLocked(Conflict):
        pass

    class SomethingElse(DomainError):
        pass

    assert problem_kind(RouteLocked) == PROBLEM_KINDS[Conflict]
    assert problem_kind(SomethingElse) == PROBLEM_KINDS[DomainError]


def test_the_edge_builds_the_headers_from_what_the_error_says() -> None:
    challenge = {"WWW-Authenticate": 'Bearer realm="bikenode"'}
    assert problem_headers(NotAuthenticated("sign in")) == challenge
    assert problem_headers(Busy("busy", retry_after_s=2)) == {"Retry-After": "2"}
    assert problem_headers(TooManyRequests("wait", retry_after_s=0)) == {"Retry-After": "1"}
    unsupported = UnsupportedVersion("no", protocol="tus", supported="1.0.0")
    assert problem_headers(unsupported) == {"Tus-Version": "1.0.0"}
    assert problem_headers(NotFound("gone")) == {}


def test_domain_errors_carry_no_http() -> None:
    for kind in domain_errors_in_the_codebase():
        assert not {"status_code", "title", "headers"} & set(vars(kind)), kind.__qualname__
