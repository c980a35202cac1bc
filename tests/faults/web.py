"""A small HTTP client for tests against a real server: one keep-alive connection, cookies,
Django's CSRF token, sign-in, form defaults read from a page, multipart uploads. One
`Session` per thread (http.client connections are not shared between threads)."""

from __future__ import annotations

import http.client
import json
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)


@dataclass
class Session:
    base: str
    timeout: float = 120
    cookies: dict[str, str] = field(default_factory=dict)
    _connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            parts = urlsplit(self.base)
            self._connection = http.client.HTTPConnection(parts.hostname, parts.port,
                                                          timeout=self.timeout)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Response:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request(method, path, body=body, headers=headers)
                raw = connection.getresponse()
                data = raw.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection: a client opens another.
                # (Any other failure, or a second one, is the test's to see.)
                self.close()
                if attempt == 2:
                    raise
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        if raw.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data,
                        time.monotonic() - started)

    def get(self, path: str, **headers: str) -> Response:
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, fields: dict | list[tuple[str, str]],
                  headers: dict[str, str] | None = None) -> Response:
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if "csrftoken" in self.cookies:
            pairs.append(("csrfmiddlewaretoken", self.cookies["csrftoken"]))
        return self.request("POST", path, urlencode(pairs).encode(), {
            "Content-Type": "application/x-www-form-urlencoded", **(headers or {})})

    def post_file(self, path: str, name: str, filename: str, content: bytes,
                  content_type: str = "application/octet-stream",
                  headers: dict[str, str] | None = None) -> Response:
        boundary = uuid.uuid4().hex
        parts = []
        if "csrftoken" in self.cookies:
            parts.append((f'--{boundary}\r\nContent-Disposition: form-data; '
                           f'name="csrfmiddlewaretoken"\r\n\r\n{self.cookies["csrftoken"]}\r\n'
                           ).encode())
        parts.append((f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                       f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n').encode())
        parts.append(content)
        parts.append(f"\r\n--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts), {
            "Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})})

    def sign_in(self, username: str, password: str) -> None:
        self.get("/accounts/login/")
        response = self.post_form("/accounts/login/", {"username": username,
                                                       "password": password})
        assert response.status == 302, f"sign-in failed: {response.status} {response.text[:500]}"

    def form_defaults(self, path: str) -> dict[str, str]:
        """The values the page's (last) form would post as it stands."""
        response = self.get(path)
        assert response.status == 200, response.status
        parser = _FormDefaults()
        parser.feed(response.text)
        return parser.values


def api(session: Session, method: str, path: str, token: str, payload=None) -> Response:
    body = json.dumps(payload).encode() if payload is not None else None
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return session.request(method, path, body, headers)


class _FormDefaults(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self.values.setdefault(name, "")

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            self.values.setdefault(self._select, self._first_option or "")
            self._select = None
