"""proc.py: commands, servers and containers of a bench run, and stopping all of them on every way out.

Every server and container started here is registered with a Registry, which stops them on exit, on
error and on SIGINT/SIGTERM/SIGHUP (run.py). Commands are shown as a reader of bench/results.md types
them from the repository root.
"""
import http.client
import os
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "bench")
PYTHON = "/usr/bin/python3"
CMD_TIMEOUT = 180          # seconds: no single command may run longer
READY_TRIES = 400          # x 25 ms: how long a server may take to answer its readiness path
STOP_WAIT = 5              # seconds between SIGTERM and SIGKILL


def rel(path):
    """A path as the reader of results.md would type it from the repository root."""
    return os.path.relpath(path, ROOT)


def show(argv, env=None):
    """The exact command line, shell-quoted, with the environment it was given."""
    prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
    text = " ".join(shlex.quote(rel(a) if os.path.isabs(a) and a.startswith(ROOT) else a)
                    for a in argv)
    return f"{prefix} {text}" if prefix else text


def log(msg):
    print(f"bench: {msg}", flush=True)


def run(argv, env=None, timeout=CMD_TIMEOUT, stdout=subprocess.PIPE, cwd=ROOT):
    """Runs argv to completion; returns (stdout text, wall seconds). Fails on non-zero exit."""
    start = time.perf_counter()
    p = subprocess.run(argv, env={**os.environ, **(env or {})}, stdout=stdout,
                       stderr=subprocess.PIPE, timeout=timeout, cwd=cwd, check=False)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError(f"{show(argv, env)} exited {p.returncode}: "
                           f"{p.stderr.decode(errors='replace').strip()[-400:]}")
    return (p.stdout.decode() if p.stdout is not None else ""), wall


def capture(argv):
    """Output of a fact-gathering command, or a note that it failed."""
    try:
        out, _ = run(argv, timeout=30)
        return out.strip()
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
        return f"({' '.join(argv)}: {e})"


def read_text(path):
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    except OSError as e:
        return f"({e.strerror})"


def port_free_or_die(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        if s.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} on 127.0.0.1 is already in use")


def get_status(url, timeout):
    """The HTTP status of GET url, or None when nothing answers (refused, reset, timed out)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (OSError, ValueError, http.client.HTTPException):
        return None


class Registry:
    """What this run started: servers (Server) and containers (names); stop_all ends them all."""

    def __init__(self):
        self.servers = []
        self.containers = []

    def stop_all(self):
        while self.servers:
            self.servers.pop().stop()
        while self.containers:
            name = self.containers.pop()
            subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60, check=False)


def on_signal(signum, _frame):
    raise SystemExit(f"run.py: signal {signum}, stopping")


def trap_signals():
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)


class Server:
    """A server on 127.0.0.1:port (FN_ADDR/FN_PORT), ready once ready_path answers 200."""

    def __init__(self, name, argv, port, ready_path, env=None, log_dir=None):
        self.name, self.argv, self.port, self.ready_path = name, argv, port, ready_path
        self.env = dict(env or {})
        self.env["FN_PORT"] = str(port)
        self.env["FN_ADDR"] = "127.0.0.1"
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def command(self):
        return show(self.argv, self.env)

    def start(self, registry):
        port_free_or_die(self.port)
        with open(self.log_path, "wb") as logf:
            self.proc = subprocess.Popen(self.argv, env={**os.environ, **self.env}, stdout=logf,
                                         stderr=subprocess.STDOUT, cwd=ROOT)
        registry.servers.append(self)
        for _ in range(READY_TRIES):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; "
                                   f"see {rel(self.log_path)}")
            if get_status(self.url + self.ready_path, 2) == 200:
                return self
            time.sleep(0.025)
        raise RuntimeError(f"{self.name} not ready after {READY_TRIES * 25} ms")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_WAIT)
