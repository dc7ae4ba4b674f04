"""Process logging: one line per event (text or JSON), request ids, patient data masked."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from scheduler.ops.redact import mask_text, redact_field
from scheduler.settings import Settings

# Set by the web app's request-id middleware; read when a record is handled (same task/thread).
REQUEST_ID: ContextVar[str | None] = ContextVar("aftercare_request_id", default=None)
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
    "color_message",  # uvicorn's ANSI-coloured copy of the message
}
# Paths whose tail is a credential (the email opt-out link's signed token).
_SECRET_PATH_PREFIXES = ("/unsubscribe/",)
# Set on access lines for JSON queries; the text line already says them.
_ACCESS_FIELDS = frozenset({"http_method", "http_path", "http_status"})


class RedactFilter(logging.Filter):
    """Masks contacts in the final message and the extras; tags the record with its request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call must not break the caller
            message = f"{record.msg} {record.args}"
        record.msg = mask_text(message)
        record.args = None
        for name in extras(record):
            setattr(record, name, redact_field(name, getattr(record, name)))
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


class AccessLogFilter(logging.Filter):
    """uvicorn's access line without the query string (patient data never reaches the logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, path, version, status = args
            path = str(path).split("?", 1)[0]
            for prefix in _SECRET_PATH_PREFIXES:
                if path.startswith(prefix):
                    path = prefix + "***"
            record.args = (client, method, path, version, status)
            record.http_method, record.http_path, record.http_status = method, path, status
        return True


class TextFormatter(logging.Formatter):
    """`2026-11-25T15:00:00.123Z INFO logger: message request_id=… key=value`, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [timestamp(record), record.levelname, f"{record.name}: {record.getMessage()}"]
        fields = {"request_id": getattr(record, "request_id", None)}
        fields.update({n: getattr(record, n) for n in extras(record) if n not in _ACCESS_FIELDS})
        parts += [f"{key}={value}" for key, value in fields.items() if value is not None]
        trace = self.trace(record)
        if trace:
            parts.append(trace)
        # journald and most collectors take a line per event; a traceback stays in its event.
        return " ".join(parts).replace("\r", "").replace("\n", "\\n")

    def trace(self, record: logging.LogRecord) -> str:
        text = ""
        if record.exc_info:
            text = self.formatException(record.exc_info)
        if record.stack_info:
            text += self.formatStack(record.stack_info)
        return mask_text(text)


class JsonFormatter(TextFormatter):
    """One JSON object per line: ts, level, logger, message, request_id, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            event["request_id"] = request_id
        event.update({name: getattr(record, name) for name in extras(record)})
        trace = self.trace(record)
        if trace:
            event["exc"] = trace
        return json.dumps(event, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is at the time (test runners swap it per command)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def extras(record: logging.LogRecord) -> list[str]:
    """Names of the fields passed with `extra=` (or set by a filter) on this record."""
    return [name for name in record.__dict__ if name not in _STANDARD and not name.startswith("_")]


def timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def configure_logging(settings: Settings | None, *, level: str | None = None) -> None:
    """Route every logger (uvicorn's included) through one handler in LOG_FORMAT.

    `level` overrides LOG_LEVEL (the CLI's one-shot commands log warnings only unless -v).
    Safe to call again: it replaces its own handler and leaves others (pytest's) alone.
    """
    fmt = settings.log_format if settings else "text"
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactFilter())
    root.addHandler(handler)
    root.setLevel(level or (settings.log_level if settings else "WARNING"))
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLogFilter) for f in access.filters):
        access.addFilter(AccessLogFilter())
