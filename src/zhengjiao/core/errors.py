"""Domain errors with stable codes and bilingual messages (CONVENTIONS rule 10)."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can act on.

    ``code`` is stable (``registry.invalid_uscc``); interfaces map it to a 4xx response or a form
    error. ``message_zh`` and ``message_en`` say what is wrong in words; ``field`` names the input
    field (or ``None``); ``line`` names the input line for file imports (or ``None``).
    """

    status = 400

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        self.line = line

    def message(self, language: str = "zh-hans") -> str:
        return self.message_en if language.startswith("en") else self.message_zh

    def as_dict(self, language: str = "zh-hans") -> dict:
        out: dict = {"code": self.code, "message": self.message(language), "field": self.field}
        if self.line is not None:
            out["line"] = self.line
        return out


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class PermissionDeniedError(DomainError):
    status = 403
