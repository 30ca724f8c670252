#!/usr/bin/env python3
"""Readiness probe and tiny CQL client: speaks CQL native protocol v4 to HOST
PORT, sends STARTUP and `SELECT release_version FROM system.local`, prints the
version. Exit 0 only when a real query was answered. Standard library only.

    cqlping.py HOST PORT [--tls CA [--cert C --key K]] [--user U --password P]
               [--consistency CL] [--query Q]... [--timeout S]

--tls CA        wrap the connection in TLS, verifying the server against CA
                (and its address against the certificate's subjectAltName)
--cert/--key    client certificate and key, for require_client_auth
--user/--password
                answer the server's AUTHENTICATE with SASL PLAIN
                (PasswordAuthenticator)
--query Q       run Q instead of the release_version query (repeatable, in
                order, on one connection); rows are printed one per line, values
                separated by tabs. After a schema change the probe waits up to
                --timeout seconds until system.local and system.peers agree on
                the schema version, like the drivers do.
--consistency   ONE, TWO, THREE, QUORUM, ALL, LOCAL_QUORUM, LOCAL_ONE, ...
                (default ONE)

Exit status: 0 answered; 1 not ready / refused / a query failed (the message
is printed); 2 usage; 3 authentication refused (wrong credentials, or no
credentials given to a node that wants them).
"""
import argparse
import ipaddress
import socket
import ssl
import struct
import sys
import time
import uuid

CONSISTENCY = {
    "ANY": 0x0000, "ONE": 0x0001, "TWO": 0x0002, "THREE": 0x0003,
    "QUORUM": 0x0004, "ALL": 0x0005, "LOCAL_QUORUM": 0x0006,
    "EACH_QUORUM": 0x0007, "SERIAL": 0x0008, "LOCAL_SERIAL": 0x0009,
    "LOCAL_ONE": 0x000A,
}
OP_ERROR, OP_STARTUP, OP_READY, OP_AUTHENTICATE = 0x00, 0x01, 0x02, 0x03
OP_QUERY, OP_RESULT, OP_AUTH_RESPONSE, OP_AUTH_SUCCESS = 0x07, 0x08, 0x0F, 0x10


class AuthError(Exception):
    pass


class QueryError(Exception):
    pass


def frame(stream, opcode, body):
    return struct.pack(">BBhBi", 0x04, 0, stream, opcode, len(body)) + body


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def read_frame(sock):
    header = read_exact(sock, 9)
    _, _, _, opcode, length = struct.unpack(">BBhBi", header)
    return opcode, read_exact(sock, length)


def string(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        b = self.data[self.pos:self.pos + n]
        if len(b) != n:
            raise ValueError("short frame body")
        self.pos += n
        return b

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def short(self):
        return struct.unpack(">H", self.take(2))[0]

    def string(self):
        return self.take(self.short()).decode("utf-8", "replace")

    def bytes(self):
        n = self.int()
        return None if n < 0 else self.take(n)

    def option(self):
        """A column type: (id, parameters)."""
        kind = self.short()
        if kind == 0x0000:
            return (kind, self.string())
        if kind in (0x0020, 0x0022):  # list, set
            return (kind, self.option())
        if kind == 0x0021:  # map
            return (kind, (self.option(), self.option()))
        if kind == 0x0030:  # udt
            self.string(); self.string()
            fields = [(self.string(), self.option()) for _ in range(self.short())]
            return (kind, fields)
        if kind == 0x0031:  # tuple
            return (kind, [self.option() for _ in range(self.short())])
        return (kind, None)


def decode(typ, raw):
    if raw is None:
        return "null"
    kind, param = typ
    if kind in (0x0001, 0x000D):  # ascii, varchar
        return raw.decode("utf-8", "replace")
    if kind in (0x0002, 0x0005, 0x000B, 0x0012):  # bigint, counter, timestamp, time
        return str(struct.unpack(">q", raw)[0])
    if kind == 0x0009:
        return str(struct.unpack(">i", raw)[0])
    if kind == 0x0013:
        return str(struct.unpack(">h", raw)[0])
    if kind == 0x0014:
        return str(struct.unpack(">b", raw)[0])
    if kind == 0x0004:
        return "true" if raw != b"\x00" else "false"
    if kind == 0x0007:
        return repr(struct.unpack(">d", raw)[0])
    if kind == 0x0008:
        return repr(struct.unpack(">f", raw)[0])
    if kind == 0x000E:
        return str(int.from_bytes(raw, "big", signed=True))
    if kind in (0x000C, 0x000F):
        return str(uuid.UUID(bytes=raw))
    if kind == 0x0010:
        return str(ipaddress.ip_address(raw))
    if kind == 0x0011:
        return str(struct.unpack(">I", raw)[0] - 2 ** 31) + "d"
    if kind in (0x0020, 0x0022, 0x0021):
        r = Reader(raw)
        n = r.int()
        if kind == 0x0021:
            kt, vt = param
            items = ["%s: %s" % (decode(kt, r.bytes()), decode(vt, r.bytes())) for _ in range(n)]
            return "{" + ", ".join(items) + "}"
        items = [decode(param, r.bytes()) for _ in range(n)]
        return ("[%s]" if kind == 0x0020 else "{%s}") % ", ".join(items)
    return "0x" + raw.hex()


def error_text(body):
    r = Reader(body)
    code = r.int()
    return code, "error 0x%04x: %s" % (code, r.string())


class Connection:
    def __init__(self, args):
        self.args = args
        self.stream = 0
        sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
        sock.settimeout(args.timeout)
        if args.tls:
            ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=args.tls)
            if args.cert:
                ctx.load_cert_chain(args.cert, args.key)
            sock = ctx.wrap_socket(sock, server_hostname=args.host)
        self.sock = sock

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def request(self, opcode, body):
        self.stream = (self.stream + 1) % 32768
        self.sock.sendall(frame(self.stream, opcode, body))
        return read_frame(self.sock)

    def startup(self):
        body = struct.pack(">H", 1) + string("CQL_VERSION") + string("3.0.0")
        opcode, body = self.request(OP_STARTUP, body)
        if opcode == OP_READY:
            return
        if opcode == OP_AUTHENTICATE:
            authenticator = Reader(body).string()
            if self.args.user is None:
                raise AuthError("server wants authentication (%s); give --user and --password" % authenticator)
            token = b"\x00" + self.args.user.encode() + b"\x00" + (self.args.password or "").encode()
            opcode, body = self.request(OP_AUTH_RESPONSE, struct.pack(">i", len(token)) + token)
            if opcode == OP_AUTH_SUCCESS:
                return
            if opcode == OP_ERROR:
                raise AuthError(error_text(body)[1])
        if opcode == OP_ERROR:
            raise QueryError("STARTUP refused: " + error_text(body)[1])
        raise QueryError("STARTUP not READY: opcode %d %r" % (opcode, body[:200]))

    def query(self, text, consistency):
        q = text.encode()
        body = struct.pack(">i", len(q)) + q + struct.pack(">HB", consistency, 0)
        opcode, body = self.request(OP_QUERY, body)
        if opcode == OP_ERROR:
            raise QueryError(error_text(body)[1])
        if opcode != OP_RESULT:
            raise QueryError("query failed: opcode %d %r" % (opcode, body[:200]))
        r = Reader(body)
        kind = r.int()
        if kind == 0x0005:
            return "schema_change", None
        if kind != 0x0002:
            return "void", None
        flags, ncols = r.int(), r.int()
        if flags & 0x0002:
            r.bytes()  # paging state
        if flags & 0x0004:
            raise QueryError("result without metadata")
        if flags & 0x0001:
            r.string(); r.string()
        types = []
        for _ in range(ncols):
            if not flags & 0x0001:
                r.string(); r.string()
            r.string()
            types.append(r.option())
        rows = []
        for _ in range(r.int()):
            rows.append([decode(t, r.bytes()) for t in types])
        return "rows", rows

    def wait_schema_agreement(self):
        deadline = time.time() + self.args.timeout
        while True:
            local = self.query("SELECT schema_version FROM system.local", CONSISTENCY["ONE"])[1]
            peers = self.query("SELECT schema_version FROM system.peers", CONSISTENCY["ONE"])[1]
            versions = {row[0] for row in local + peers}
            if len(versions) == 1:
                return
            if time.time() >= deadline:
                raise QueryError("no schema agreement within %gs: %s" % (self.args.timeout, sorted(versions)))
            time.sleep(0.2)


def parse_args(argv):
    p = argparse.ArgumentParser(description="CQL readiness probe / tiny client")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--tls", metavar="CA")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--query", action="append", default=[])
    p.add_argument("--consistency", default="ONE", type=str.upper, choices=sorted(CONSISTENCY))
    p.add_argument("--timeout", type=float, default=5.0)
    args = p.parse_args(argv)
    if bool(args.cert) != bool(args.key):
        p.error("--cert and --key go together")
    if args.cert and not args.tls:
        p.error("--cert needs --tls")
    return args


def main(argv):
    args = parse_args(argv)
    conn = Connection(args)
    try:
        conn.startup()
        cl = CONSISTENCY[args.consistency]
        if not args.query:
            _, rows = conn.query("SELECT release_version FROM system.local", cl)
            print("release_version", rows[0][0] if rows else "?")
            return 0
        for q in args.query:
            kind, rows = conn.query(q, cl)
            if kind == "schema_change":
                conn.wait_schema_agreement()
            for row in rows or []:
                print("\t".join(row))
        return 0
    finally:
        conn.close()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except AuthError as e:
        print("authentication failed:", e)
        sys.exit(3)
    except QueryError as e:
        print(e)
        sys.exit(1)
    except Exception as e:  # the probe only reports; callers poll
        print("not ready:", e)
        sys.exit(1)
