"""Frames: sequence numbers, exact counts, sampling to at most 500 events."""

from __future__ import annotations

from mscomm.runs.frames import KEPT_KINDS, MAX_EVENTS_PER_FRAME, FrameBuilder


def test_frames_are_numbered_and_carry_the_events_since_the_last_one():
    builder = FrameBuilder()
    builder.observe({"t": 0.1, "kind": "send"})
    builder.observe({"t": 0.2, "kind": "receive"})
    first = builder.build(t=0.25, state={"t": 0.25})
    second = builder.build(t=0.5, state={"t": 0.5})
    assert (first["seq"], second["seq"]) == (1, 2)
    assert [e["kind"] for e in first["events"]] == ["send", "receive"]
    assert first["counts"] == {"send": 1, "receive": 1} and first["sampled"] is False
    assert second["events"] == [] and second["counts"] == {}


def test_too_many_events_are_sampled_but_counted_exactly():
    builder = FrameBuilder()
    for i in range(1300):
        builder.observe({"t": i / 1000, "kind": "send" if i % 3 else "reply"})
    frame = builder.build(t=1.3, state={})
    assert frame["sampled"] is True
    assert len(frame["events"]) == MAX_EVENTS_PER_FRAME
    assert frame["counts"] == {"send": 866, "reply": 434}
    times = [e["t"] for e in frame["events"]]
    assert times == sorted(times)  # still in simulated-time order
    assert times[0] == 0.0 and times[-1] > 1.2  # spread over the whole interval


def test_a_sampled_frame_keeps_every_crash_breaker_fault_and_timeout():
    builder = FrameBuilder()
    rare = sorted(KEPT_KINDS)
    for i in range(3000):
        # One rare event in every 150: an even stride of 6 would keep none of them.
        kind = rare[(i // 150) % len(rare)] if i % 150 == 7 else "send"
        builder.observe({"t": i / 1000, "kind": kind})
    frame = builder.build(t=3.0, state={})
    assert frame["sampled"] is True
    assert len(frame["events"]) == MAX_EVENTS_PER_FRAME
    kept = [e for e in frame["events"] if e["kind"] in KEPT_KINDS]
    assert len(kept) == 20 == sum(n for k, n in frame["counts"].items() if k in KEPT_KINDS)
    times = [e["t"] for e in frame["events"]]
    assert times == sorted(times)
    assert times[0] == 0.0 and times[-1] > 2.9  # the rest still spread over the interval
