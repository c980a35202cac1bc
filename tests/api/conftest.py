"""An API client per persona: `api_admin.get("/leads")`, `api_viewer.post(...)`.

Each sends a real token in the Authorization header, as any HTTP client would; bodies go as
JSON unless `content_type` says otherwise.
"""

import json

import pytest
from django.test import Client

from leadbook.accounts.services import create_api_token

BASE = "/api/v2"


class ApiClient:
    def __init__(self, token: str | None):
        self.token = token
        self.client = Client()

    def request(self, method: str, path: str, body=None, *, content_type="application/json",
                headers=None, raw: bytes | str | None = None, **query):
        headers = dict(headers or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        url = path if path.startswith("/") and path.startswith(BASE) else BASE + path
        if query:
            from urllib.parse import urlencode

            url += "?" + urlencode(query, doseq=True)
        return self.client.generic(method, url, data=data, content_type=content_type,
                                   headers=headers)

    def upload(self, path, files: dict, fields: dict | None = None, **query):
        """A multipart/form-data POST: `files` {field: (filename, bytes)}, `fields` the
        form's other fields (lists repeat)."""
        from urllib.parse import urlencode

        from django.core.files.uploadedfile import SimpleUploadedFile

        headers = {"Authorization": f"Bearer {self.token}"} if self.token is not None else {}
        data = dict(fields or {})
        for name, (filename, content) in files.items():
            data[name] = SimpleUploadedFile(filename, content)
        url = BASE + path + ("?" + urlencode(query, doseq=True) if query else "")
        return self.client.post(url, data=data, headers=headers)

    def get(self, path, **query):
        return self.request("GET", path, **query)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    """Tests make many requests quickly; the rate limit has tests of its own."""
    settings.API_RATE_LIMIT = 100_000


def token_for(user) -> str:
    return create_api_token(user=user, name="Tests")[1]


@pytest.fixture
def api_admin(admin):
    return ApiClient(token_for(admin))


@pytest.fixture
def api_member(member):
    return ApiClient(token_for(member))


@pytest.fixture
def api_viewer(viewer):
    return ApiClient(token_for(viewer))


@pytest.fixture
def api_anonymous(db):
    return ApiClient(None)
