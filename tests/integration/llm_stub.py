"""A small OpenAI-compatible chat server on 127.0.0.1 for tests, driven by a script of responses."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StubLLM:
    """Serves POST /v1/chat/completions. ``script`` holds one entry per request, the last repeating:

    ("reply", text) · ("status", code) · ("slow", seconds, text). Requests for a model in ``fail_models`` get
    HTTP 400 whatever the script says; with ``refuse_json``, so do requests with a ``response_format`` (a server
    without structured output), before the script is read.
    """

    def __init__(self, script, fail_models=(), refuse_json=False):
        self.script = list(script)
        self.fail_models = set(fail_models)
        self.refuse_json = refuse_json
        self.requests: list[dict] = []
        self.refused: list[dict] = []  # requests refused for their response_format
        self.headers: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if stub.refuse_json and "response_format" in body:
                    stub.refused.append(body)
                    self._send(400, {"error": {"message": "response_format is not supported", "type": "stub"}})
                    return
                stub.requests.append(body)
                stub.headers.append(dict(self.headers))
                step = stub.script[min(len(stub.requests) - 1, len(stub.script) - 1)]
                if body["model"] in stub.fail_models:
                    step = ("status", 400)
                if step[0] == "status":
                    self._send(step[1], {"error": {"message": f"stub error {step[1]}", "type": "stub"}},
                               {"retry-after-ms": "10"})
                    return
                if step[0] == "slow":
                    time.sleep(step[1])
                self._send(200, {
                    "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": step[-1]}}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                })

            def _send(self, code, payload, headers=None):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
