"""State the case lifecycle: which event may move a case from which state to which."""

from __future__ import annotations

OPEN_STATES = frozenset({"registered", "triaged", "assigned", "signed", "in_progress", "returned"})
"""States counted as 在办 (open, not yet resolved)."""

LIVE_STATES = OPEN_STATES | {"resolved", "visited"}
"""States in which a case can still receive events."""

FINAL_STATES = frozenset({"closed", "referred", "terminated"})

# event type -> (states it may start from, state it leads to; None keeps the state)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "case.triaged": (frozenset({"registered", "triaged", "returned"}), "triaged"),
    "case.assigned": (frozenset({"registered", "triaged", "returned", "assigned"}), "assigned"),
    "case.signed": (frozenset({"assigned"}), "signed"),
    "case.progress": (frozenset({"signed", "in_progress"}), "in_progress"),
    "case.returned": (frozenset({"assigned", "signed", "in_progress"}), "returned"),
    "case.escalated": (OPEN_STATES, None),
    "case.extension": (frozenset({"assigned", "signed", "in_progress"}), None),
    "case.resolved": (frozenset({"signed", "in_progress"}), "resolved"),
    "case.visited": (frozenset({"resolved"}), "visited"),
    "case.closed": (frozenset({"resolved", "visited"}), "closed"),
    "case.supervised": (OPEN_STATES, None),
    "case.referred": (OPEN_STATES, "referred"),
    "case.terminated": (OPEN_STATES, "terminated"),
}


class TransitionError(ValueError):
    """An event the lifecycle does not allow from the case's current state."""


def next_state(type_: str, current: str) -> str:
    """Return the state after an event, or raise TransitionError when it is not allowed."""
    allowed, to = TRANSITIONS[type_]
    if current not in allowed:
        raise TransitionError(f"{type_} is not allowed in state {current}")
    return to or current
