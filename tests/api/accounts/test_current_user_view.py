"""Handlers outside accounts get the signed-in user as accounts.UserView, never the table row.

The walk covers every HTTP and WebSocket route of the app and every dependency under it:
what a handler outside accounts takes, and what each of its dependencies hands it, must not
be the accounts row (User) or the Principal that carries it.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from starlette.routing import BaseRoute

from bikenode.accounts import Principal, UserView
from bikenode.accounts.models import User
from bikenode.web.dependencies import CurrentUser

ROW_TYPES = (User, Principal)
# Where the row may be handled: accounts owns it; the request kit turns it into the view.
OWNERS = ("bikenode.accounts", "bikenode.web.dependencies")


def _mentions_row(hint: Any) -> bool:
    return hint in ROW_TYPES or any(_mentions_row(arg) for arg in typing.get_args(hint))


def _hints(call: Any) -> dict[str, Any]:
    if not inspect.isfunction(call):  # security schemes and other callable objects
        return {}
    return typing.get_type_hints(call, include_extras=True)


def _flat(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        # FastAPI keeps an included router whole; the positive test below fails if this
        # walk ever stops reaching the routes inside one.
        included = getattr(route, "original_router", None)
        yield from _flat(included.routes) if included is not None else (route,)


def _tree(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _tree(sub)


def row_takers(routes: Sequence[BaseRoute]) -> list[str]:
    """Functions outside accounts that take the user row, or get it from a dependency."""
    found = []
    for route in _flat(routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            continue
        for node in _tree(dependant):
            if not inspect.isfunction(node.call) or node.call.__module__.startswith(OWNERS):
                continue
            name = f"{node.call.__module__}.{node.call.__qualname__}"
            taken = {k: v for k, v in _hints(node.call).items() if k != "return"}
            given = [_hints(sub.call).get("return") for sub in node.dependencies]
            if any(_mentions_row(hint) for hint in [*taken.values(), *given]):
                found.append(name)
    return found


def test_no_handler_outside_accounts_receives_the_user_row(app: FastAPI) -> None:
    assert row_takers(app.routes) == []


def test_handlers_outside_accounts_do_receive_the_view(app: FastAPI) -> None:
    receivers = {
        node.call.__module__
        for route in _flat(app.routes)
        if (dependant := getattr(route, "dependant", None)) is not None
        for node in _tree(dependant)
        if any(_hints(sub.call).get("return") == UserView for sub in node.dependencies)
    }
    assert {"bikenode.rides.routes", "bikenode.live.routes", "bikenode.sync.routes"} <= receivers


async def _row_of_the_caller() -> User:
    raise NotImplementedError


async def _principal_of_the_caller() -> Principal:
    raise NotImplementedError


def test_the_walk_finds_a_handler_that_takes_the_row() -> None:
    router = APIRouter()

    @router.get("/row")
    def take_row(user: Annotated[User, Depends(_row_of_the_caller)]) -> None: ...

    @router.get("/disguised")
    def take_disguised(user: Annotated[UserView, Depends(_principal_of_the_caller)]) -> None: ...

    @router.get("/view")
    def take_view(user: CurrentUser) -> None: ...

    found = row_takers(router.routes)
    assert [name.rsplit(".", 1)[-1] for name in found] == ["take_row", "take_disguised"]


def test_the_view_carries_no_contact_or_health_secrets() -> None:
    names = {field.name for field in dataclasses.fields(UserView)}
    assert names.isdisjoint(
        {"email", "password_hash", "body_metrics_sealed", "weight_kg", "resting_hr_bpm"}
    )
