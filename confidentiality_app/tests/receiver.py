"""A real HTTP server on loopback that records what it receives: the other end of a
webhook or an SMS gateway. Tests assert on what reached it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class HTTPReceiver:
	def __init__(self):
		self.received: list[dict] = []
		sink = self

		class Handler(BaseHTTPRequestHandler):
			def _record(self):
				length = int(self.headers.get("Content-Length") or 0)
				body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
				query = parse_qs(urlparse(self.path).query)
				sink.received.append(
					{"method": self.command, "path": self.path, "body": body, "query": query}
				)
				self.send_response(200)
				self.send_header("Content-Type", "text/plain")
				self.end_headers()
				self.wfile.write(b"OK")

			do_GET = do_POST = do_PUT = _record

			def log_message(self, *args):
				pass

		self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
		self.url = f"http://127.0.0.1:{self.server.server_port}"
		self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
		self.thread.start()

	def text(self) -> str:
		"""Everything received, as one string (bodies and query strings)."""
		return "\n".join(f"{r['path']} {r['body']}" for r in self.received)

	def clear(self):
		self.received.clear()

	def stop(self):
		self.server.shutdown()
		self.server.server_close()
