"""Fixed-window rate limits in Redis, keyed by client IP and by visitor."""

from __future__ import annotations

import ipaddress
import time

from django.conf import settings
from django.http import HttpRequest

from mscomm.errors import LimitExceeded
from mscomm.runs.stream import redis_client

# Stands for a caller whose address is missing or not an IP address: the log-in lockout
# stores addresses in an IP column (PostgreSQL's inet refuses anything else).
NO_ADDRESS = "0.0.0.0"


def client_ip(request: HttpRequest) -> str:
    """The caller's address: the proxy's X-Forwarded-For only when we sit behind one;
    `NO_ADDRESS` when there is none or it is not an IP address."""
    address = str(request.META.get("REMOTE_ADDR", ""))
    if settings.MSCOMM_TRUST_X_FORWARDED_FOR:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            # The proxy appends the address it saw: the last entry is the one it vouches for.
            address = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(address[:64]))
    except ValueError:
        return NO_ADDRESS


def rate_check(*, action: str, keys: list[str], limit: int, window_s: int) -> None:
    """Count one `action` for every key; `LimitExceeded` when any is over `limit` this window."""
    window = int(time.time()) // window_s
    client = redis_client()
    with client.pipeline() as pipe:
        for key in keys:
            name = f"mscomm:rate:{action}:{key}:{window}"
            pipe.incr(name)
            pipe.expire(name, window_s + 5)
        counts = pipe.execute()[::2]
    if any(count > limit for count in counts):
        raise LimitExceeded(
            f"at most {limit} per {window_s} s from one visitor or address; try again later"
        )
