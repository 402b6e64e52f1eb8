"""Duration samplers: scenario durations (ms, constant or a distribution) to seconds."""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable
from typing import Any

Sampler = Callable[[], float]

# z-score of the 99th percentile of the standard normal distribution.
_Z99 = 2.3263478740408408


def stream(seed: int, name: str) -> random.Random:
    """A generator for one purpose, derived from (seed, name) with a stable hash."""
    digest = hashlib.sha256(f"{seed}/{name}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def constant_s(duration: Any) -> float | None:
    """The duration in seconds when it is a constant, else None."""
    if duration is None:
        return 0.0
    if isinstance(duration, (int, float)):
        return float(duration) / 1000.0
    return None


def mean_s(duration: Any) -> float:
    """The mean of a duration in seconds (for planning, never for sampling)."""
    c = constant_s(duration)
    if c is not None:
        return c
    kind = duration.dist
    if kind == "exponential":
        return duration.mean / 1000.0
    if kind == "uniform":
        return (duration.min + duration.max) / 2000.0
    if kind == "normal":
        return duration.mean / 1000.0
    sigma = (math.log(duration.p99) - math.log(duration.median)) / _Z99
    return duration.median * math.exp(sigma * sigma / 2) / 1000.0


def exponential(mean_s: float, rng: random.Random) -> Sampler:
    """Exponential draws with this mean, in seconds."""
    rand = rng.random
    # Inverse transform, as random.expovariate does, without its extra call (math.log
    # spelt out: a compiled build calls C's log directly).
    return lambda: -math.log(1.0 - rand()) * mean_s


def sampler(duration: Any, rng: random.Random) -> Sampler:
    """A zero-argument callable drawing the duration in seconds from ``rng``.

    ``duration`` is a number of ms, None (zero) or a distribution model with a ``dist``
    field (exponential, uniform, normal clipped at 0, lognormal by median and p99).
    """
    c = constant_s(duration)
    if c is not None:
        return lambda: c
    kind = duration.dist
    if kind == "exponential":
        return exponential(duration.mean / 1000.0, rng)
    if kind == "uniform":
        lo = duration.min / 1000.0
        width = (duration.max - duration.min) / 1000.0
        rand = rng.random
        return lambda: lo + width * rand()
    if kind == "normal":
        mu = duration.mean / 1000.0
        sd = duration.sd / 1000.0
        gauss = rng.normalvariate
        return lambda: max(0.0, gauss(mu, sd))
    if kind == "lognormal":
        mu = math.log(duration.median / 1000.0)
        sigma = (math.log(duration.p99) - math.log(duration.median)) / _Z99
        lognorm = rng.lognormvariate
        return lambda: lognorm(mu, sigma)
    raise ValueError(f"unknown distribution {kind!r}")
