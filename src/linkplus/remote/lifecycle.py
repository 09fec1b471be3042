"""A command's lifecycle: the states it passes through and the moves between them.

``accepted`` (stored, not yet handed to the broker) -> ``sent`` (published to the car's topic)
-> ``acknowledged`` (the car has it) -> ``completed`` or ``failed``; ``expired`` when the car has
not given its final answer by the command's expiry. The last three are final: a late answer
cannot revive an expired command, and nothing moves a finished one. A car's answer may overtake
the platform's own ``sent`` bookkeeping, so answers are accepted from ``accepted`` too.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    accepted = "accepted"
    sent = "sent"
    acknowledged = "acknowledged"
    completed = "completed"
    failed = "failed"
    expired = "expired"


FINAL = frozenset({State.completed, State.failed, State.expired})
OPEN = frozenset(State) - FINAL

_MOVES: dict[State, frozenset[State]] = {
    State.accepted: frozenset(
        {State.sent, State.acknowledged, State.completed, State.failed, State.expired}
    ),
    State.sent: frozenset({State.acknowledged, State.completed, State.failed, State.expired}),
    State.acknowledged: frozenset({State.completed, State.failed, State.expired}),
    State.completed: frozenset(),
    State.failed: frozenset(),
    State.expired: frozenset(),
}


class Answer(StrEnum):
    """What a car can say about a command (``protocol.CommandStatus``)."""

    received = "received"
    succeeded = "succeeded"
    failed = "failed"
    rejected = "rejected"


def can_move(current: State, target: State) -> bool:
    return target in _MOVES[current]


def is_final(state: State) -> bool:
    return state in FINAL


def after_answer(current: State, answer: Answer) -> State | None:
    """The state a car's answer moves the command to; None when it changes nothing (a late or
    repeated answer, or an acknowledgement of a command already further along)."""
    target = {
        Answer.received: State.acknowledged,
        Answer.succeeded: State.completed,
        Answer.failed: State.failed,
        Answer.rejected: State.failed,
    }[answer]
    return target if can_move(current, target) else None


def after_send(current: State) -> State | None:
    return State.sent if current is State.accepted else None


def after_expiry(current: State) -> State | None:
    return State.expired if can_move(current, State.expired) else None
