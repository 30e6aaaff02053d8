"""Pure sync logic: hybrid logical clocks, merge rules, three-way text merge. No I/O."""

from bikenode.sync.logic.hlc import MAX_DRIFT_MS, ZERO, BadStamp, HybridClock, Stamp
from bikenode.sync.logic.merge import (
    MERGE_KINDS,
    FieldOp,
    FieldOutcome,
    FieldState,
    MergeKind,
    TextConflict,
    apply_op,
    apply_ops,
    empty_state,
    overwrite,
)
from bikenode.sync.logic.text import merge3

__all__ = [
    "MAX_DRIFT_MS",
    "MERGE_KINDS",
    "ZERO",
    "BadStamp",
    "FieldOp",
    "FieldOutcome",
    "FieldState",
    "HybridClock",
    "MergeKind",
    "Stamp",
    "TextConflict",
    "apply_op",
    "apply_ops",
    "empty_state",
    "merge3",
    "overwrite",
]
