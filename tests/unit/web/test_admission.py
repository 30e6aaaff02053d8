"""The turns that bound requests in flight: order, waiting line, time limit, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bikenode.web.admission import Admission

T = TypeVar("T")


def _run(scenario: Coroutine[Any, Any, T]) -> T:
    """Run on a loop of its own in a thread: a browser test may leave one set on this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario).result()


def test_requests_past_the_limit_wait_and_get_turns_in_arrival_order() -> None:
    async def scenario() -> list[int]:
        admission = Admission(in_flight=2, waiting=10, wait_timeout_s=5)
        order: list[int] = []
        assert await admission.enter() and await admission.enter()
        waiters = [asyncio.create_task(_enter_and_note(admission, n, order)) for n in range(3)]
        await asyncio.sleep(0.01)
        assert (admission.running, admission.waiting, admission.saturated) == (2, 3, True)
        for _ in range(5):
            admission.leave()
            await asyncio.sleep(0)
        await asyncio.gather(*waiters)
        assert (admission.running, admission.waiting) == (0, 0)
        return order

    assert _run(scenario()) == [0, 1, 2]


async def _enter_and_note(admission: Admission, n: int, order: list[int]) -> None:
    assert await admission.enter()
    order.append(n)


def test_a_full_waiting_line_sheds_at_once() -> None:
    async def scenario() -> bool:
        admission = Admission(in_flight=1, waiting=1, wait_timeout_s=5)
        assert await admission.enter()
        waiting = asyncio.create_task(admission.enter())
        await asyncio.sleep(0.01)
        shed = await asyncio.wait_for(admission.enter(), 0.5)
        admission.leave()
        assert await waiting
        return shed

    assert _run(scenario()) is False


def test_a_request_that_waits_too_long_is_shed_and_leaves_the_line() -> None:
    async def scenario() -> tuple[bool, int, int]:
        admission = Admission(in_flight=1, waiting=5, wait_timeout_s=0.05)
        assert await admission.enter()
        entered = await admission.enter()
        return entered, admission.waiting, admission.running

    assert _run(scenario()) == (False, 0, 1)


def test_a_client_leaving_while_it_waits_gives_its_place_up() -> None:
    async def scenario() -> tuple[int, int]:
        admission = Admission(in_flight=1, waiting=5, wait_timeout_s=5)
        assert await admission.enter()
        gone = asyncio.create_task(admission.enter())
        await asyncio.sleep(0.01)
        gone.cancel()
        await asyncio.sleep(0.01)
        admission.leave()
        return admission.waiting, admission.running

    assert _run(scenario()) == (0, 0)
