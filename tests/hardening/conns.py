#!/usr/bin/env python3
"""conns.py: connection hardening probes against a running server on 127.0.0.1: hold many idle
connections, trickle a body and headers one byte per second, open connections past
FN_MAX_CONNECTIONS, and keep checking that other clients are answered. Prints one JSON object
with the measurements; conns.sh judges them.
usage: conns.py PORT N_IDLE N_OVER BODY_TIMEOUT_S"""
import json
import resource
import socket
import subprocess
import sys
import threading
import time

PORT, N_IDLE, N_OVER, BODY_TIMEOUT = (int(a) for a in sys.argv[1:5])
ADDR = ("127.0.0.1", PORT)


def established():
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{PORT} )"],
                         capture_output=True, text=True, timeout=10, check=True).stdout
    return sum(1 for line in out.splitlines() if line.strip())


def get(path, timeout=10.0):
    """One HTTP/1.1 request on a fresh connection: (status, seconds), status 0 on failure."""
    t = time.monotonic()
    try:
        with socket.create_connection(ADDR, timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else 0
    except (OSError, ValueError, IndexError):
        status = 0
    return status, round(time.monotonic() - t, 3)


def trickle(head, trickled, limit_s):
    """Sends head, then trickled one byte per second until the server drops the connection or
    limit_s passes. Returns (dropped, seconds, answer status or 0)."""
    t = time.monotonic()
    s = socket.create_connection(ADDR, timeout=5)
    status = 0
    try:
        s.sendall(head)
        s.settimeout(1.0)
        for i in range(len(trickled)):
            if time.monotonic() - t > limit_s:
                return False, round(time.monotonic() - t, 2), 0
            try:
                s.sendall(trickled[i:i + 1])
            except OSError:
                return True, round(time.monotonic() - t, 2), status
            try:
                data = s.recv(4096)
                if not data:
                    return True, round(time.monotonic() - t, 2), status
                if data.startswith(b"HTTP/1."):
                    status = int(data.split(b" ", 2)[1])
            except socket.timeout:
                pass
            except OSError:
                return True, round(time.monotonic() - t, 2), status
        return False, round(time.monotonic() - t, 2), status
    finally:
        s.close()


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = N_IDLE + N_OVER + 200
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    res = {}
    idle = []
    for _ in range(N_IDLE):
        idle.append(socket.create_connection(ADDR, timeout=5))
    time.sleep(1.0)
    res["idle_open"] = len(idle)
    res["established_with_idle"] = established()
    res["topology_while_idle"] = get("/topology")
    res["experiment_while_idle"] = get("/?iterations=2")

    # Slow clients, with requests from others while they trickle.
    slow = {}
    body_head = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 40\r\n\r\n")
    header_head = b"GET /topology HTTP/1.1\r\nHost: x\r\n"
    limit = BODY_TIMEOUT + 6
    threads = [
        threading.Thread(target=lambda: slow.__setitem__(
            "body", trickle(body_head, b'{"iterations":1,"chunk_mb":1}' + b" " * 10, limit))),
        threading.Thread(target=lambda: slow.__setitem__(
            "headers", trickle(header_head, b"X-Slow: " + b"a" * 200 + b"\r\n\r\n", limit))),
    ]
    for th in threads:
        th.start()
    others = []
    t0 = time.monotonic()
    while any(th.is_alive() for th in threads) and time.monotonic() - t0 < limit + 5:
        others.append(get("/topology", timeout=5))
        time.sleep(0.5)
    for th in threads:
        th.join(timeout=limit + 5)
    res["slow_body"] = {"dropped": slow["body"][0], "after_s": slow["body"][1], "status": slow["body"][2]}
    res["slow_headers"] = {"dropped": slow["headers"][0], "after_s": slow["headers"][1],
                           "status": slow["headers"][2]}
    res["others_during_slow"] = {"requests": len(others), "ok": sum(1 for s, _ in others if s == 200),
                                 "max_s": max((d for _, d in others), default=0)}

    # Past the limit: open N_OVER more; count how many the server closes at once.
    over = []
    for _ in range(N_OVER):
        try:
            over.append(socket.create_connection(ADDR, timeout=5))
        except OSError:
            pass
    time.sleep(1.0)
    res["established_at_peak"] = established()
    closed = 0
    for s in over:
        s.settimeout(0.05)
        try:
            if s.recv(1) == b"":
                closed += 1
        except socket.timeout:
            pass
        except OSError:
            closed += 1
    res["over_opened"] = len(over)
    res["over_closed_by_server"] = closed
    res["request_at_limit"] = get("/topology", timeout=5)
    for s in idle + over:
        s.close()
    time.sleep(1.0)
    res["established_after_close"] = established()
    res["topology_after"] = get("/topology")
    print(json.dumps(res))


main()
