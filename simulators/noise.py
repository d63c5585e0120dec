"""Seeded, stateless noise: a value is a pure function of (seed, channel, time).

Being stateless is what makes the scenario deterministic whatever the pattern of calls:
two plants with the same seed show the same values at the same simulated time.
"""

from __future__ import annotations

import math

_MASK = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def unit_noise(seed: int, channel: int, bucket: int) -> float:
    """Uniform value in [0, 1) for one (seed, channel, bucket)."""
    h = _splitmix64((seed & _MASK) ^ _splitmix64((channel << 40) ^ (bucket & ((1 << 40) - 1))))
    return (h >> 11) / float(1 << 53)


def smooth_noise(seed: int, channel: int, t: float, period_s: float) -> float:
    """Value noise in [0, 1): random knots every ``period_s`` seconds, smoothstep between."""
    pos = t / period_s
    bucket = math.floor(pos)
    frac = pos - bucket
    a = unit_noise(seed, channel, bucket)
    b = unit_noise(seed, channel, bucket + 1)
    w = frac * frac * (3.0 - 2.0 * frac)
    return a + (b - a) * w
