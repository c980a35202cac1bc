"""Request bodies are JSON, sent as such."""

import json
from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

from .errors import UnsupportedMediaType


class JsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        content_type = (request.content_type or "").lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType(
                f"Send the body as JSON with Content-Type: application/json "
                f"(this request says {request.content_type or 'nothing'!s}).")
        return json.loads(request.body)
