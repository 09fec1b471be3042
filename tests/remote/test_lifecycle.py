"""The command state machine: every allowed move, and that final states never move."""

from __future__ import annotations

import pytest

from linkplus.remote.lifecycle import (
    FINAL,
    Answer,
    State,
    after_answer,
    after_expiry,
    after_send,
    can_move,
    is_final,
)


def test_the_happy_path() -> None:
    state = State.accepted
    sent = after_send(state)
    assert sent is State.sent
    acknowledged = after_answer(sent, Answer.received)
    assert acknowledged is State.acknowledged
    assert after_answer(acknowledged, Answer.succeeded) is State.completed


@pytest.mark.parametrize("answer", [Answer.failed, Answer.rejected])
def test_a_refusal_or_failure_fails_the_command(answer: Answer) -> None:
    assert after_answer(State.sent, answer) is State.failed
    assert after_answer(State.acknowledged, answer) is State.failed


def test_an_answer_may_overtake_the_sent_bookkeeping() -> None:
    assert after_answer(State.accepted, Answer.succeeded) is State.completed
    assert after_answer(State.accepted, Answer.received) is State.acknowledged


def test_an_acknowledgement_after_completion_changes_nothing() -> None:
    assert after_answer(State.completed, Answer.received) is None
    assert after_answer(State.acknowledged, Answer.received) is None


@pytest.mark.parametrize("state", [State.accepted, State.sent, State.acknowledged])
def test_open_commands_expire(state: State) -> None:
    assert after_expiry(state) is State.expired


@pytest.mark.parametrize("state", sorted(FINAL))
def test_final_states_never_move(state: State) -> None:
    assert is_final(state)
    assert after_expiry(state) is None
    assert after_send(state) is None
    for answer in Answer:
        assert after_answer(state, answer) is None
    assert not any(can_move(state, target) for target in State)


def test_sent_only_from_accepted() -> None:
    assert after_send(State.sent) is None
    assert after_send(State.acknowledged) is None
