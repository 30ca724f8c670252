#!/usr/bin/env python3
"""Readiness probe: speaks CQL native protocol v4 to HOST PORT, sends STARTUP
and `SELECT release_version FROM system.local`, prints the version.
Exit 0 only when a real query was answered. Standard library only."""
import socket
import struct
import sys


def frame(stream, opcode, body):
    return struct.pack(">BBhBi", 0x04, 0, stream, opcode, len(body)) + body


def read_frame(sock):
    header = b""
    while len(header) < 9:
        chunk = sock.recv(9 - len(header))
        if not chunk:
            raise ConnectionError("closed")
        header += chunk
    _, _, _, opcode, length = struct.unpack(">BBhBi", header)
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            raise ConnectionError("closed")
        body += chunk
    return opcode, body


def string(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.settimeout(5)
        startup = struct.pack(">H", 1) + string("CQL_VERSION") + string("3.0.0")
        sock.sendall(frame(1, 0x01, startup))
        opcode, body = read_frame(sock)
        if opcode != 0x02:
            print("STARTUP not READY: opcode %d %r" % (opcode, body[:200]))
            return 1
        q = "SELECT release_version FROM system.local".encode()
        query = struct.pack(">i", len(q)) + q + struct.pack(">HB", 0x0001, 0)
        sock.sendall(frame(2, 0x07, query))
        opcode, body = read_frame(sock)
        if opcode != 0x08:
            print("query failed: opcode %d %r" % (opcode, body[:200]))
            return 1
        print("release_version in", body[-16:])
        return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # the probe only reports; callers poll
        print("not ready:", e)
        sys.exit(1)
