"""Trace event kinds and failure reasons the engine emits to an observer.

An observer receives one dict per event (see docs/core-api.md); the engine builds those
dicts only when an observer is attached.
"""

from __future__ import annotations

REQUEST_KINDS = ("arrive", "complete", "fail")
MESSAGE_KINDS = ("send", "receive", "reply", "timeout", "retry", "drop", "rejected")
TOPIC_KINDS = ("publish", "deliver", "redeliver", "dead_letter")
DATA_KINDS = ("write", "poll")
INSTANCE_KINDS = ("crash", "restart")
BREAKER_KINDS = ("breaker_open", "breaker_half_open", "breaker_close")
FAULT_KINDS = ("fault_start", "fault_end")
# Only with `detail=True`: a queue item takes a worker; a job has finished.
DETAIL_KINDS = ("start", "end")

KINDS = (
    REQUEST_KINDS
    + MESSAGE_KINDS
    + TOPIC_KINDS
    + DATA_KINDS
    + INSTANCE_KINDS
    + BREAKER_KINDS
    + FAULT_KINDS
    + DETAIL_KINDS
)

# First causes of a failed request, in the order the result document lists them.
FAILURES = (
    "timeout",
    "refused",
    "rejected",
    "bad_response",
    "circuit_open",
    "hop_limit",
    "lost",
)

FAULT_MODES = ("crash", "omission", "timing", "response", "arbitrary")
MODE_BIT = {mode: 1 << i for i, mode in enumerate(FAULT_MODES)}
