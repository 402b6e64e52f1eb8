"""Errors raised by mscomm's services; the API turns each into its HTTP status."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: `status` is the HTTP status, `detail` what the caller is told."""

    status = 400

    def __init__(self, detail: object) -> None:
        super().__init__(detail if isinstance(detail, str) else repr(detail))
        self.detail = detail


class Invalid(ServiceError):
    """A scenario (or parameter) that does not validate; `detail` is [{loc, msg}]."""

    status = 422


class NotFound(ServiceError):
    """Missing, or not the caller's."""

    status = 404


class Conflict(ServiceError):
    """The stored version is not the one the caller edited."""

    status = 409


class LimitExceeded(ServiceError):
    """Over a rate or concurrency limit."""

    status = 429
