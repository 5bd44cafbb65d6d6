#!/usr/bin/env python3
"""Start-up time to the first 200: spawn a server, send a request until one answers 200.

usage: startup.py RUNS PORT METHOD PATH BODY_FILE API_KEY -- COMMAND...
Prints the median and the fastest time in milliseconds, one line: STARTUP median_ms=… min_ms=…
"""
import socket
import subprocess
import sys
import time


def first_200(port, request, deadline):
    while time.perf_counter() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(request)
                head = s.recv(64)
                if head.startswith(b"HTTP/1.1 200"):
                    return True
        except OSError:
            pass
    return False


def main():
    runs, port, method, path, body_file, key = sys.argv[1:7]
    command = sys.argv[sys.argv.index("--") + 1:]
    body = open(body_file, "rb").read() if method == "POST" else b""
    head = f"{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n"
    if key:
        head += f"x-api-key: {key}\r\n"
    if body:
        head += f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
    request = head.encode() + b"\r\n" + body
    times = []
    for _ in range(int(runs)):
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ok = first_200(int(port), request, started + 10)
        elapsed = (time.perf_counter() - started) * 1000
        child.kill()
        child.wait()
        if not ok:
            sys.exit(f"no 200 within 10 s from {command[0]}")
        times.append(elapsed)
        time.sleep(0.05)
    times.sort()
    print(f"STARTUP median_ms={times[len(times) // 2]:.2f} min_ms={times[0]:.2f}")


main()
