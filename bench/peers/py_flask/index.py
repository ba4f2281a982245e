"""index.py: the Python upstream behind of-watchdog (mode=http), run as the python3-http templates run
theirs: Flask on waitress, every path and method handed to function.handler.handle(event, context),
whose {"statusCode", "body", "headers"} becomes the answer. Listens on 127.0.0.1:FN_PORT (5000)."""
import os
import sys

from flask import Flask, request
from waitress import serve

from function import handler

MAX_BODY = 1 << 20
METHODS = ["GET", "PUT", "POST", "PATCH", "DELETE"]

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = MAX_BODY


class Event:
    """The request as the handler sees it."""

    def __init__(self, req):
        self.body = req.get_data()
        self.headers = req.headers
        self.method = req.method
        self.query = req.args
        self.path = req.path


class Context:
    def __init__(self):
        self.hostname = os.environ.get("HOSTNAME", "localhost")


@app.route("/", defaults={"path": ""}, methods=METHODS)
@app.route("/<path:path>", methods=METHODS)
def call_handler(path):
    _ = path
    res = handler.handle(Event(request), Context())
    return res.get("body", ""), res.get("statusCode", 200), res.get("headers", {})


def main():
    port = int(os.environ.get("FN_PORT", "5000"))
    if not 1 <= port <= 65535:
        print("index.py: bad FN_PORT", file=sys.stderr)
        return 1
    serve(app, host="127.0.0.1", port=port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
