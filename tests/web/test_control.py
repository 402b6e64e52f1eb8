"""The control vocabulary (mscomm/runs/control.py): what parses, what is refused and why."""

from __future__ import annotations

import pytest

from mscomm.runs.control import (
    SOCKET_ACTIONS,
    Action,
    Control,
    ControlError,
    control_decode,
    control_parse,
)


def test_every_action_of_the_vocabulary_round_trips_through_its_message():
    controls = [
        Control(Action.PAUSE),
        Control(Action.RESUME),
        Control(Action.SPEED, speed=2.5),
        Control(Action.INJECT, fault={"target": "order", "mode": "crash"}),
        Control(Action.STOP),
        Control(Action.CANCEL),
    ]
    assert {c.action for c in controls} == set(Action)
    for control in controls:
        assert control_decode(control.message()) == control


def test_the_socket_takes_every_action_but_cancel():
    assert set(Action) - {Action.CANCEL} == SOCKET_ACTIONS
    with pytest.raises(ControlError, match="one of"):
        control_parse({"action": "cancel"})
    assert control_parse({"action": "stop", "extra": 1}) == Control(Action.STOP)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("pause", "a control message is"),
        ({"action": "PAUSE"}, "a control message is"),
        ({"action": "speed"}, "speed must be a number in 0.001..100.0"),
        ({"action": "speed", "speed": True}, "speed must be"),
        ({"action": "speed", "speed": float("nan")}, "speed must be"),
        ({"action": "speed", "speed": 1e309}, "speed must be"),
        ({"action": "speed", "speed": 0}, "speed must be"),
        ({"action": "inject", "fault": "crash"}, "inject needs a fault object"),
        ({"action": "inject", "fault": {"x": "y" * 20_000}}, "control message too large"),
    ],
)
def test_malformed_controls_are_refused_with_the_reason(content, why):
    with pytest.raises(ControlError, match=why):
        control_parse(content)
    assert control_decode(content) is None
