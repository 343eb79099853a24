"""The OpenAPI description of ``/api/v1`` (issue 17), merged by :func:`merge` into the hub's
``/api/openapi.json``. Other ``/api/v1`` modules (the webhooks') add their ``OPENAPI_PATHS``
and may refer to the shared components: ``#/components/schemas/ApiError`` (the one error
shape), ``#/components/responses/ApiError`` and the ``apiToken`` security scheme.

The rules stated here are the rules the handlers check (:mod:`bot.api_v1.common`,
:mod:`bot.api_v1.tickets`): an independent client (schemathesis) holds one to the other."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from bot.api_v1.common import VISIBLE_PATTERN
from bot.api_v1.tickets import EMAIL_PATTERN, KINDS, LIMITS, PHONE_RE, REQUIRED
from storage.search import MAX_QUERY

REF_ERROR = {"$ref": "#/components/responses/ApiError"}
NULLABLE_STR = {"type": ["string", "null"]}
TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
PATTERNS = {"phone": PHONE_RE.pattern, "email": EMAIL_PATTERN}
SECURITY: dict[str, list[str]] = {"apiToken": []}


def _text(n: int, pattern: str | None = None) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": n, "pattern": pattern or VISIBLE_PATTERN}


def _only(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "type"}


def _errors(*statuses: int) -> dict[str, Any]:
    out: dict[str, Any] = {str(s): REF_ERROR for s in statuses}
    out["401"] = REF_ERROR
    out["403"] = REF_ERROR
    out["429"] = {"$ref": "#/components/responses/RateLimited"}
    out["default"] = REF_ERROR
    return out


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


NEW_TICKET = {
    "type": "object",
    "additionalProperties": False,
    "required": sorted(REQUIRED),
    "properties": {
        **{
            k: (
                _text(n, PATTERNS.get(k))
                if k in REQUIRED
                else {"type": ["string", "null"], **_only(_text(n, PATTERNS.get(k)))}
            )
            for k, n in LIMITS.items()
        },
        "kind": {"type": "string", "enum": list(KINDS), "default": "request"},
    },
}


CREATED = {
    "type": "object",
    "required": ["ticket", "warnings"],
    "properties": {
        "ticket": {
            "type": "object",
            "required": ["code", "status", "kind", "domain", "received_at", "source_app", "external_ref"],
            "properties": {
                "code": {"type": "string"},
                "status": {"type": "string"},
                "kind": {"type": "string"},
                "domain": NULLABLE_STR,
                "received_at": TIME,
                "source_app": {"type": "string"},
                "external_ref": NULLABLE_STR,
            },
        },
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}
STATUS = {
    "type": "object",
    "required": ["code", "status", "status_label", "received_at", "overdue", "answer", "notes"],
    "properties": {
        "code": {"type": "string"},
        "status": {"type": "string"},
        "status_label": {"type": "string"},
        "agency": NULLABLE_STR,
        "domain": NULLABLE_STR,
        "received_at": TIME,
        "due_at": NULLABLE_TIME,
        "overdue": {"type": "boolean"},
        "answer": NULLABLE_STR,
        "answered_at": NULLABLE_TIME,
        "refusal_reason": NULLABLE_STR,
        "source_app": NULLABLE_STR,
        "external_ref": NULLABLE_STR,
        "notes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["at", "action", "label"],
                "properties": {
                    "at": TIME,
                    "action": {"type": "string"},
                    "label": {"type": "string"},
                    "text": NULLABLE_STR,
                    "due_at": NULLABLE_TIME,
                },
            },
        },
    },
}
ANSWER = {
    "type": "object",
    "required": ["id", "url", "question", "answer", "published_at"],
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "question": {"type": "string"},
        "answer": {"type": "string"},
        "domain": NULLABLE_STR,
        "agency": NULLABLE_STR,
        "asked_at": NULLABLE_TIME,
        "answered_at": NULLABLE_TIME,
        "published_at": NULLABLE_TIME,
    },
}
ANSWERS = {
    "type": "object",
    "required": ["q", "page", "per_page", "total", "pages", "items"],
    "properties": {
        "q": {"type": "string"},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "total": {"type": "integer", "minimum": 0},
        "pages": {"type": "integer", "minimum": 1},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/PublishedAnswer"}},
    },
}
FAQ = {
    "type": "object",
    "required": ["q", "available", "decision", "items"],
    "properties": {
        "q": {"type": "string"},
        "available": {"type": "boolean"},
        "decision": {"type": "string", "enum": ["answer", "suggest", "handoff"]},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "url", "question", "answer", "score"],
                "properties": {
                    "id": {"type": "string"},
                    "url": {"type": "string"},
                    "question": {"type": "string"},
                    "answer": {"type": "string"},
                    "domain": NULLABLE_STR,
                    "agency": NULLABLE_STR,
                    "score": {"type": "number"},
                },
            },
        },
    },
}


def _query(name: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


IDEMPOTENCY_TEXT = (
    "Khóa do ứng dụng tự sinh (1–200 ký tự ASCII): gửi lại cùng khóa và cùng nội dung nhận lại "
    "đúng phiếu cũ (200); cùng khóa khác nội dung: 422."
)
PAGE = {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 1}
PATHS: dict[str, Any] = {
    "/api/v1/tickets": {
        "post": {
            "summary": "Ghi nhận một yêu cầu của người dân từ ứng dụng khác (Điều 7.2, 9.1)",
            "operationId": "apiCreateTicket",
            "tags": ["api/v1"],
            "security": [SECURITY],
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": True,
                    "description": IDEMPOTENCY_TEXT,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewTicket"}}},
            },
            "responses": {
                "201": _json({"$ref": "#/components/schemas/CreatedTicket"}, "Phiếu đã được tạo"),
                "200": _json(
                    {"$ref": "#/components/schemas/CreatedTicket"},
                    "Cùng Idempotency-Key và cùng nội dung: phiếu đã tạo trước đó",
                ),
                **_errors(400, 413, 415, 422),
            },
        }
    },
    "/api/v1/tickets/{code}": {
        "get": {
            "summary": "Trạng thái và câu trả lời của một phiếu",
            "operationId": "apiReadTicket",
            "tags": ["api/v1"],
            "security": [SECURITY],
            "parameters": [
                {
                    "name": "code",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 40},
                }
            ],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/TicketStatus"}, "Phiếu"),
                **_errors(404),
            },
        }
    },
    "/api/v1/answers": {
        "get": {
            "summary": "Các câu trả lời đã công khai trên cổng hỏi đáp (Điều 12)",
            "operationId": "apiListAnswers",
            "tags": ["api/v1"],
            "security": [SECURITY],
            "parameters": [
                _query("q", {"type": "string", "maxLength": MAX_QUERY}, "Từ khóa (không cần dấu)"),
                _query("domain", {"type": "string", "maxLength": 300}, "Lĩnh vực"),
                _query("agency", {"type": "string", "maxLength": 300}, "Cơ quan trả lời"),
                _query("page", PAGE, "Trang"),
                _query(
                    "per_page",
                    {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                    "Số mục mỗi trang",
                ),
            ],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/AnswerPage"}, "Một trang"),
                **_errors(400),
            },
        }
    },
    "/api/v1/faq": {
        "get": {
            "summary": "Tìm trong bộ câu hỏi thường gặp đang dùng",
            "operationId": "apiSearchFaq",
            "tags": ["api/v1"],
            "security": [SECURITY],
            "parameters": [
                _query("q", _text(500), "Câu hỏi", required=True),
                _query(
                    "limit", {"type": "integer", "minimum": 1, "maximum": 20, "default": 5}, "Số mục tối đa"
                ),
            ],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/FaqResults"}, "Kết quả"),
                **_errors(400),
            },
        }
    },
}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
COMPONENTS: dict[str, Any] = {
    "securitySchemes": {
        "apiToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "Mã truy cập API do quản trị viên cấp (python -m bot tokens add), có phạm vi",
        }
    },
    "schemas": {
        "ApiError": ERROR,
        "NewTicket": NEW_TICKET,
        "CreatedTicket": CREATED,
        "TicketStatus": STATUS,
        "PublishedAnswer": ANSWER,
        "AnswerPage": ANSWERS,
        "FaqResults": FAQ,
    },
    "responses": {
        "ApiError": _json({"$ref": "#/components/schemas/ApiError"}, "Lỗi (JSON)"),
        "RateLimited": {
            **_json({"$ref": "#/components/schemas/ApiError"}, "Vượt giới hạn số yêu cầu của mã truy cập"),
            "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Số giây cần chờ"}},
        },
    },
}


def merge(spec: dict[str, Any], *extra_paths: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` (the web chat's document) with ``/api/v1`` added."""
    out = copy.deepcopy(spec)
    paths = out.setdefault("paths", {})
    paths.update(copy.deepcopy(PATHS))
    for more in extra_paths:
        paths.update(copy.deepcopy(dict(more)))
    components = out.setdefault("components", {})
    for section, entries in COMPONENTS.items():
        components.setdefault(section, {}).update(copy.deepcopy(entries))
    return out
