"""A real HTTP receiver on loopback that checks each delivery's signature the way a
customer's server would, with its own code (not Leadbook's)."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    def __init__(self):
        self.secret = ""
        self.status = 200
        self.received: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/leadbook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers.get("X-Leadbook-Timestamp", "")
                expected = "sha256=" + hmac.new(
                    receiver.secret.encode(), timestamp.encode() + b"." + body,
                    hashlib.sha256).hexdigest()
                signed = hmac.compare_digest(expected,
                                             self.headers.get("X-Leadbook-Signature", ""))
                fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
                receiver.received.append({
                    "verified": signed and fresh, "headers": dict(self.headers),
                    "json": json.loads(body), "path": self.path,
                })
                self.send_response(receiver.status if signed else 401)
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        return Handler

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def webhook(admin, receiver):
    from leadbook.webhooks.services import create_webhook

    hook = create_webhook(actor=admin, url=receiver.url, events=[
        "lead.created", "lead.updated", "lead.deleted", "lead.converted", "outreach.logged"])
    receiver.secret = hook.secret
    return hook
