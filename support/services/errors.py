"""Errors the services raise; the interface layers turn them into acks and HTTP answers."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused request, with one of the contract's error codes (PROTOCOL §2)."""

    code = "internal"
    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


class Unauthorized(ServiceError):
    code, status = "unauthorized", 401


class Forbidden(ServiceError):
    code, status = "forbidden", 403


class NotFound(ServiceError):
    code, status = "not_found", 404


class InvalidPayload(ServiceError):
    code, status = "invalid_payload", 400


class AlreadyAssigned(ServiceError):
    code, status = "already_assigned", 409


class ConversationClosed(ServiceError):
    code, status = "conversation_closed", 409


class RateLimited(ServiceError):
    code, status = "rate_limited", 429


class Conflict(ServiceError):
    """A request that clashes with the current state (a duplicate email, say)."""

    code, status = "invalid_payload", 409
