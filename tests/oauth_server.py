"""A small OAuth 2.0 authorization server for the tests: a token endpoint and the
introspection endpoint Dovecot asks (RFC 6749, RFC 7662), on loopback, in a thread."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Issued:
    user: str
    expires: float  # time.time()
    revoked: bool = False


class OAuthServer:
    """Issues random access tokens to one client, for one mailbox user, through the
    client-credentials and refresh-token grants; counts the grants it made."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        user: str,
        refresh_token: str | None = None,
        lifetime: float = 3600,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.user = user
        self.refresh_token = refresh_token
        self.lifetime = lifetime
        self.grants: list[str] = []  # the grant type of each token issued
        self.refusals: list[str] = []  # the error of each request refused
        self.tokens: dict[str, Issued] = {}
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    @property
    def introspection_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/introspect"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(5)

    def reset(self, lifetime: float = 3600) -> None:
        """As new: nothing issued, nothing counted."""
        with self._lock:
            self.lifetime = lifetime
            self.grants.clear()
            self.refusals.clear()
            self.tokens.clear()

    def user_of(self, token: str) -> str | None:
        """The user a live token was issued for; None for one unknown, expired or revoked."""
        with self._lock:
            issued = self.tokens.get(token)
            if issued is None or issued.revoked or issued.expires <= time.time():
                return None
            return issued.user

    def revoke_all(self) -> None:
        """As an administrator does: every token issued so far stops working at once."""
        with self._lock:
            for issued in self.tokens.values():
                issued.revoked = True

    def _grant(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != self.client_id:
            return 401, {"error": "invalid_client", "error_description": "Unknown client."}
        grant = form.get("grant_type")
        if grant == "client_credentials":
            if form.get("client_secret") != self.client_secret:
                return 401, {
                    "error": "invalid_client",
                    "error_description": "Invalid client secret provided.",
                }
        elif grant == "refresh_token":
            if "client_secret" in form and form["client_secret"] != self.client_secret:
                return 401, {"error": "invalid_client", "error_description": "Bad secret."}
            if self.refresh_token is None or form.get("refresh_token") != self.refresh_token:
                return 400, {"error": "invalid_grant", "error_description": "Token revoked."}
        else:
            return 400, {"error": "unsupported_grant_type"}
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = Issued(self.user, time.time() + self.lifetime)
            self.grants.append(grant)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime}

    def _introspect(self, form: dict[str, str]) -> dict[str, Any]:
        user = self.user_of(form.get("token", ""))
        if user is None:
            return {"active": False}
        return {"active": True, "username": user}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                form = {key: values[-1] for key, values in parse_qs(body).items()}
                if self.path == "/token":
                    status, answer = server._grant(form)
                    if status != 200:
                        server.refusals.append(str(answer["error"]))
                elif self.path == "/introspect":
                    status, answer = 200, server._introspect(form)
                else:
                    status, answer = 404, {"error": "not_found"}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the tests read the server's counts instead

        return Handler
