"""The one exception services raise when a rule refuses an action."""

from enum import StrEnum
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class Code(StrEnum):
    INVALID = "invalid"  # bad input: 400
    FORBIDDEN = "forbidden"  # may see it, may not do it: 403
    CONFLICT = "conflict"  # the current state forbids the transition: 409


class DomainError(Exception):
    """A refused action with a message fit to show the person; nothing was written."""

    def __init__(self, message: str, code: Code = Code.INVALID, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


def check_fields(instance: Any, *, exclude: list[str]) -> None:
    """Run the model's field validation, refusing with the first message as a DomainError."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(messages[0], field=None if field == NON_FIELD_ERRORS else field) from None


class FieldErrors(DomainError):
    """Bad input on several fields at once (a form's errors), each with its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        field, messages = next(iter(errors.items()))
        super().__init__(messages[0], Code.INVALID, None if field == NON_FIELD_ERRORS else field)
        # The API's name for errors of no one field (DRF's), rather than Django's "__all__".
        self.errors = {
            "non_field_errors" if name == NON_FIELD_ERRORS else name: list(found)
            for name, found in errors.items()
        }
