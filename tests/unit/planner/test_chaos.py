"""Chaos: pycrdt and JS Yjs replicas editing one route converge in 100% of 10,000 trials.

Each trial has 3 or 4 replicas, at least one of each kind (the JS ones live in one Node.js
process, tests/node/replicas.mjs, driven in batches). For a few rounds every replica makes
random edits (insert, delete, move and re-position waypoints, edit notes and name); each
update reaches each other replica now, later, twice, or only at the end, in random order.
At the end all are delivered, then every replica runs the protocol's state-vector exchange
with a room log (the server's ``UpdateLog``): sync step 1 and 2 both ways. All replicas and
the room must then hold the same document.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pycrdt import Map

from bikenode.planner.logic import UpdateLog, load_doc
from tests.planner_tools import NodeWorker, Replica, b64, canonical, unb64

TRIALS = 10_000
BATCH = 1_000
ROUNDS = 3


@dataclass
class Member:
    key: str
    client_id: int
    py: Replica | None  # None: the replica lives in the Node.js worker
    inbox: list[bytes] = field(default_factory=list)


@dataclass
class Trial:
    seed: int
    members: list[Member]
    late: list[tuple[Member, bytes]] = field(default_factory=list)
    room: list[bytes] = field(default_factory=list)  # every update made, for the room log


@pytest.fixture(scope="module")
def js() -> Iterator[NodeWorker]:
    worker = NodeWorker("replicas.mjs")
    yield worker
    worker.close()


def _new_trial(seed: int) -> Trial:
    rnd = random.Random(seed)
    count = rnd.randint(3, 4)
    kinds = ["py", "js"] + [rnd.choice(["py", "js"]) for _ in range(count - 2)]
    rnd.shuffle(kinds)
    members = [
        Member(
            f"{seed}:{i}",
            seed * 8 + i + 1,
            Replica(client_id=seed * 8 + i + 1) if k == "py" else None,
        )
        for i, k in enumerate(kinds)
    ]
    return Trial(seed, members)


def _py_edit(rnd: random.Random, replica: Replica, tag: str) -> None:
    points, roll = replica.waypoints, rnd.random()
    size = len(points)
    if roll < 0.4 or size == 0:
        replica.add(rnd.randint(0, size), tag, rnd.uniform(-80, 80), rnd.uniform(-180, 180))
    elif roll < 0.55:
        del points[rnd.randrange(size)]
    elif roll < 0.7:
        index = rnd.randrange(size)
        moved = points[index].to_py()  # may lack fields still pending from other replicas
        with replica.doc.transaction():
            del points[index]
            points.insert(rnd.randint(0, size - 1), Map(moved))
    elif roll < 0.8:
        points[rnd.randrange(size)]["lat"] = rnd.uniform(-80, 80)
    elif roll < 0.9:
        notes = replica.notes
        if len(notes) and rnd.random() < 0.3:
            del notes[rnd.randrange(len(notes))]
        else:
            notes.insert(rnd.randint(0, len(notes)), "xy")
    else:
        replica.meta["name"] = f"name {tag}"


def _shuffled(rnd: random.Random, updates: list[bytes]) -> list[bytes]:
    out = updates + [u for u in updates if rnd.random() < 0.1]  # duplicates
    rnd.shuffle(out)
    return out


def _round(js: NodeWorker, trials: list[Trial], round_no: int) -> None:
    made: dict[str, list[bytes]] = {}
    requests = []
    for trial in trials:
        rnd = random.Random(trial.seed * 100 + round_no)
        for member in trial.members:
            deliver, member.inbox = _shuffled(rnd, member.inbox), []
            ops, seed = rnd.randint(1, 2), rnd.randrange(2**31)
            if member.py is None:
                requests.append(
                    {
                        "key": member.key,
                        "clientId": member.client_id,
                        "ops": ops,
                        "seed": seed,
                        "deliver": [b64(u) for u in deliver],
                    }
                )
                continue
            for update in deliver:
                member.py.apply(update)
            member.py.take_outgoing()
            for i in range(ops):
                _py_edit(rnd, member.py, f"{member.key}/{round_no}/{i}")
            made[member.key] = member.py.take_outgoing()
    for key, updates in js.call({"op": "round", "items": requests}).items():
        made[key] = [unb64(u) for u in updates]
    for trial in trials:
        _route(random.Random(trial.seed * 100 + round_no + 50), trial, made)


def _route(rnd: random.Random, trial: Trial, made: dict[str, list[bytes]]) -> None:
    """Send each new update to each other member: now, twice, or only at the end."""
    for sender in trial.members:
        for update in made[sender.key]:
            trial.room.append(update)
            for member in trial.members:
                if member is sender:
                    continue
                roll = rnd.random()
                if roll < 0.25:
                    trial.late.append((member, update))
                else:
                    member.inbox.append(update)
                    if roll > 0.9:
                        trial.late.append((member, update))


def _finish(js: NodeWorker, trials: list[Trial]) -> int:
    """Deliver everything, run the state-vector exchange with a room log; trials that failed."""
    rooms: dict[int, UpdateLog] = {}
    for trial in trials:
        rnd = random.Random(trial.seed * 100 + 99)
        for member, update in trial.late:
            member.inbox.append(update)
        room = rooms[trial.seed] = UpdateLog(max_bytes=10**8)
        for update in _shuffled(rnd, trial.room):
            room.append(update)
        for member in trial.members:
            member.inbox = _shuffled(rnd, member.inbox)
    # Step 1 from the room, step 2 back (the replicas' edits reach the room), then the
    # replicas' step 1 and the room's step 2.
    requests = []
    for trial in trials:
        room = rooms[trial.seed]
        for member in trial.members:
            if member.py is None:
                requests.append(
                    {
                        "key": member.key,
                        "sv": b64(room.state_vector()),
                        "deliver": [b64(u) for u in member.inbox],
                    }
                )
                continue
            for update in member.inbox:
                member.py.apply(update)
            room.append(member.py.doc.get_update(room.state_vector()))
    answers = js.call({"op": "sync", "items": requests})
    for trial in trials:
        for member in trial.members:
            if member.py is None:
                rooms[trial.seed].append(unb64(answers[member.key]["diff"]))
    requests = []
    for trial in trials:
        room = rooms[trial.seed]
        for member in trial.members:
            if member.py is None:
                sv = unb64(answers[member.key]["sv"])
                requests.append({"key": member.key, "deliver": [b64(room.missing(sv))]})
            else:
                member.py.apply(room.missing(member.py.doc.get_state()))
    js.call({"op": "sync", "items": requests})
    keys = [m.key for t in trials for m in t.members if m.py is None]
    states = js.call({"op": "state", "keys": keys})
    failed = 0
    for trial in trials:
        expected = _plain(canonical(load_doc(rooms[trial.seed].compact())))
        seen = [_plain(states[m.key] if m.py is None else m.py.state()) for m in trial.members]
        if any(state != expected for state in seen):
            failed += 1
    return failed


def _plain(value: Any) -> Any:
    """Numbers as floats (JS writes 3.0 as the integer 3), so that both sides compare."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


@pytest.mark.slow
def test_mixed_pycrdt_and_js_replicas_converge_in_every_trial(js: NodeWorker) -> None:
    failed = 0
    for start in range(0, TRIALS, BATCH):
        trials = [_new_trial(seed) for seed in range(start, start + BATCH)]
        for round_no in range(ROUNDS):
            _round(js, trials, round_no)
        failed += _finish(js, trials)
    print(f"chaos: {TRIALS} trials of pycrdt and JS Yjs replicas, {TRIALS - failed} converged")
    assert failed == 0
