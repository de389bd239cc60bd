"""Domain errors: raised by services, turned into a flash message or a JSON error by views."""


class DomainError(Exception):
    """A rule of the domain refused the action. `message` is already translated for the user."""

    status_code = 409

    def __init__(self, message: str, field: str | None = None, code: str = "conflict"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def to_json(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class ValidationFailed(DomainError):
    """Input that can never be accepted (wrong format, out of range)."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, field=field, code="invalid")


class IllegalTransition(DomainError):
    """A lifecycle step that is not allowed from the current state."""

    def __init__(self, message: str):
        super().__init__(message, code="illegal_transition")
