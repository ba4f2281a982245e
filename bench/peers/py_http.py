"""py_http.py: the Python peer for the HTTP runtime comparison.

A ThreadingHTTPServer (standard library, HTTP/1.1 keep-alive) answering a small JSON
document on every GET/POST. Listens on FN_ADDR:FN_PORT (default 127.0.0.1:8082) and sends
BENCH_BODY (default {"status":"ok"}). Stops on SIGTERM or SIGINT.
"""
import http.server
import os
import signal
import sys
import threading

MAX_BODY = 1 << 20


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    payload = b'{"status":"ok"}'

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.send_error(413)
            return
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.payload)))
        self.end_headers()
        self.wfile.write(self.payload)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def main():
    addr = os.environ.get("FN_ADDR", "127.0.0.1")
    port = int(os.environ.get("FN_PORT", "8082"))
    if not 1 <= port <= 65535:
        print("py_http: bad FN_PORT", file=sys.stderr)
        return 1
    body = os.environ.get("BENCH_BODY")
    if body:
        Handler.payload = body.encode()
    http.server.ThreadingHTTPServer.daemon_threads = True
    server = http.server.ThreadingHTTPServer((addr, port), Handler)

    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever(poll_interval=0.5)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
