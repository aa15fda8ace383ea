#!/usr/bin/env python3
"""A tiny Kafka-protocol server that lets a real client produce, and keeps the record batches it sends.

It answers just enough for librdkafka (confluent-kafka, kcat) to produce to one topic: ApiVersions, Metadata,
InitProducerId (for idempotent producers) and Produce. Every Produce request's `records` bytes are saved, per topic
and partition, exactly as received. It listens on 127.0.0.1 only and is not a broker: nothing produced is stored.

Given `fetchable` bytes (record batches), it also answers Fetch (v4-v11) with them, so a real consumer can be made to
decode batches someone else wrote (verify_swift_batches.py does this with Fjord's Swift-built batches); FindCoordinator
is answered with COORDINATOR_NOT_AVAILABLE, since consumers that only `assign` never need one.

ApiVersions: librdkafka first sends v3 (a flexible version, request header v2). This server advertises ApiVersions
only up to v2, so it answers that v3 request the way Kafka answers any unknown ApiVersions version: a v0-format body
with error 35 (UNSUPPORTED_VERSION) and its own table, after which the client retries at v2. It never parses a
request body at a version it does not know.

Usage as a program: capture_server.py --port 9092 --out DIR   (writes DIR/<topic>-<partition>-<n>.bin)
Usage as a module:  with CaptureServer() as server: ... server.port ... server.captures
"""

import argparse
import os
import socket
import socketserver
import struct
import sys
import threading

API_PRODUCE, API_FETCH, API_METADATA, API_FIND_COORDINATOR, API_API_VERSIONS, API_INIT_PRODUCER_ID = 0, 1, 3, 10, 18, 22
UNSUPPORTED_VERSION = 35

# Advertised ranges. Produce's minimum is 0 (librdkafka disables gzip/snappy/lz4 otherwise) and Fetch covers the
# versions librdkafka's feature checks look for (MsgVer2 needs Fetch 4, ZSTD needs Produce 7 and Fetch 10), although
# Fetch is never served. librdkafka also enables LZ4 only when FindCoordinator v0 is advertised (its proxy for a
# broker of Kafka 0.9 or later), so that is advertised too, and never served.
ADVERTISED = {
    API_PRODUCE: (0, 7),
    API_FETCH: (0, 11),
    API_FIND_COORDINATOR: (0, 2),
    API_METADATA: (0, 4),
    API_API_VERSIONS: (0, 2),
    API_INIT_PRODUCER_ID: (0, 1),
}
# Versions whose request header is v2 (flexible): only these need the header's tagged fields skipped.
FLEXIBLE_FROM = {
    API_PRODUCE: 9, API_FETCH: 12, API_METADATA: 9, API_FIND_COORDINATOR: 3, API_API_VERSIONS: 3, API_INIT_PRODUCER_ID: 2
}

NODE_ID = 1
PARTITIONS = 1


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("request truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def int8(self):
        return struct.unpack(">b", self.take(1))[0]

    def int16(self):
        return struct.unpack(">h", self.take(2))[0]

    def int32(self):
        return struct.unpack(">i", self.take(4))[0]

    def uvarint(self):
        shift = value = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def nullable_string(self):
        n = self.int16()
        return None if n < 0 else self.take(n).decode("utf-8")

    def nullable_bytes(self):
        n = self.int32()
        return None if n < 0 else self.take(n)

    def skip_tagged_fields(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def string(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode("utf-8")
    return struct.pack(">h", len(b)) + b


def array(items):
    return struct.pack(">i", len(items)) + b"".join(items)


class CaptureServer:
    """Serves on 127.0.0.1:`port` (0 picks a free port) in a background thread until closed."""

    def __init__(self, port=0, topic_partitions=PARTITIONS, log=None, fetchable=None, fetchable_next_offset=0):
        self.captures = []  # dicts: client_id, api_version, topic, partition, records (bytes)
        self.requests = []  # (api_key, api_version, client_id) in arrival order
        self.partitions = topic_partitions
        self.log = log or (lambda msg: None)
        self.next_producer_id = 7001
        self.fetchable = fetchable  # bytes served to every Fetch at an offset below fetchable_next_offset
        self.fetchable_next_offset = fetchable_next_offset
        self.lock = threading.Lock()
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                server._serve(self.request)

        class TCPServer(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.tcp = TCPServer(("127.0.0.1", port), Handler)
        self.port = self.tcp.server_address[1]
        self.thread = threading.Thread(target=self.tcp.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.tcp.shutdown()
        self.tcp.server_close()

    # Framing.

    def _serve(self, sock):
        while True:
            size_bytes = self._recv(sock, 4)
            if size_bytes is None:
                return
            (size,) = struct.unpack(">i", size_bytes)
            frame = self._recv(sock, size)
            if frame is None:
                return
            response = self._handle(frame)
            if response is not None:
                sock.sendall(struct.pack(">i", len(response)) + response)

    @staticmethod
    def _recv(sock, n):
        chunks, got = [], 0
        while got < n:
            try:
                chunk = sock.recv(n - got)
            except (ConnectionResetError, OSError):
                return None
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _handle(self, frame):
        r = Reader(frame)
        api_key, api_version, correlation_id = r.int16(), r.int16(), r.int32()
        client_id = r.nullable_string()
        with self.lock:
            self.requests.append((api_key, api_version, client_id))
        self.log("request api_key=%d v%d client=%s" % (api_key, api_version, client_id))
        header = struct.pack(">i", correlation_id)  # response header v0 (all answered versions are non-flexible)
        low, high = ADVERTISED.get(api_key, (0, -1))
        if api_key == API_API_VERSIONS:
            if not low <= api_version <= high:
                return header + self._api_versions_body(0, UNSUPPORTED_VERSION)
            return header + self._api_versions_body(api_version, 0)
        if not low <= api_version <= high:
            raise ValueError("client sent api %d v%d outside the advertised %s" % (api_key, api_version, (low, high)))
        if api_version >= FLEXIBLE_FROM[api_key]:
            r.skip_tagged_fields()
        if api_key == API_METADATA:
            return header + self._metadata(r, api_version)
        if api_key == API_PRODUCE:
            body = self._produce(r, api_version, client_id)
            return None if body is None else header + body
        if api_key == API_INIT_PRODUCER_ID:
            return header + self._init_producer_id(r, api_version)
        if api_key == API_FETCH and self.fetchable is not None:
            return header + self._fetch(r, api_version)
        if api_key == API_FIND_COORDINATOR:
            return header + self._find_coordinator(api_version)
        raise ValueError("api %d is advertised but not served" % api_key)

    # APIs.

    def _api_versions_body(self, version, error):
        keys = [struct.pack(">hhh", k, lo, hi) for k, (lo, hi) in sorted(ADVERTISED.items())]
        body = struct.pack(">h", error) + array(keys)
        if version >= 1:
            body += struct.pack(">i", 0)  # throttle_time_ms
        return body

    def _metadata(self, r, version):
        count = r.int32()
        topics = [] if count < 0 else [r.nullable_string() for _ in range(count)]
        if not topics:
            topics = ["golden"]
        out = b""
        if version >= 3:
            out += struct.pack(">i", 0)  # throttle_time_ms
        broker = struct.pack(">i", NODE_ID) + string("127.0.0.1") + struct.pack(">i", self.port)
        if version >= 1:
            broker += string(None)  # rack
        out += array([broker])
        if version >= 2:
            out += string("fjord-golden-capture")  # cluster_id
        if version >= 1:
            out += struct.pack(">i", NODE_ID)  # controller_id
        topic_entries = []
        for name in topics:
            entry = struct.pack(">h", 0) + string(name)
            if version >= 1:
                entry += b"\x00"  # is_internal
            parts = []
            for p in range(self.partitions):
                parts.append(
                    struct.pack(">hii", 0, p, NODE_ID) + array([struct.pack(">i", NODE_ID)])
                    + array([struct.pack(">i", NODE_ID)])
                )
            entry += array(parts)
            topic_entries.append(entry)
        return out + array(topic_entries)

    def _produce(self, r, version, client_id):
        if version >= 3:
            r.nullable_string()  # transactional_id
        acks = r.int16()
        r.int32()  # timeout_ms
        responses = []
        for _ in range(r.int32()):
            topic = r.nullable_string()
            parts = []
            for _ in range(r.int32()):
                partition = r.int32()
                records = r.nullable_bytes()
                with self.lock:
                    self.captures.append(
                        dict(client_id=client_id, api_version=version, topic=topic, partition=partition,
                             records=records or b"")
                    )
                self.log("produce v%d %s-%d: %d bytes" % (version, topic, partition, len(records or b"")))
                part = struct.pack(">ihq", partition, 0, 0)  # index, error_code, base_offset
                if version >= 2:
                    part += struct.pack(">q", -1)  # log_append_time_ms
                if version >= 5:
                    part += struct.pack(">q", 0)  # log_start_offset
                parts.append(part)
            responses.append(string(topic) + array(parts))
        if acks == 0:
            return None
        body = array(responses)
        if version >= 1:
            body += struct.pack(">i", 0)  # throttle_time_ms
        return body

    def _init_producer_id(self, r, version):
        r.nullable_string()  # transactional_id
        r.int32()  # transaction_timeout_ms
        with self.lock:
            producer_id = self.next_producer_id
            self.next_producer_id += 1
        return struct.pack(">ihqh", 0, 0, producer_id, 0)  # throttle, error, producer id, epoch 0


    def _fetch(self, r, version):
        if version < 4:
            raise ValueError("fetch v%d is not served" % version)
        r.int32(), r.int32(), r.int32(), r.int32()  # replica_id, max_wait_ms, min_bytes, max_bytes
        r.int8()  # isolation_level
        if version >= 7:
            r.int32(), r.int32()  # session_id, session_epoch
        wanted = []
        for _ in range(r.int32()):
            topic = r.nullable_string()
            for _ in range(r.int32()):
                partition = r.int32()
                if version >= 9:
                    r.int32()  # current_leader_epoch
                offset = r.take(8)
                if version >= 5:
                    r.take(8)  # log_start_offset
                r.int32()  # partition_max_bytes
                wanted.append((topic, partition, struct.unpack(">q", offset)[0]))
        served = any(offset < self.fetchable_next_offset for _, _, offset in wanted)
        if not served:
            threading.Event().wait(0.1)  # nothing new: a short long-poll
        body = b""
        if version >= 1:
            body += struct.pack(">i", 0)  # throttle_time_ms
        if version >= 7:
            body += struct.pack(">hi", 0, 0)  # error_code, session_id
        topics = []
        for topic, partition, offset in wanted:
            records = self.fetchable if offset < self.fetchable_next_offset else b""
            part = struct.pack(">ihqq", partition, 0, self.fetchable_next_offset, self.fetchable_next_offset)
            if version >= 5:
                part += struct.pack(">q", 0)  # log_start_offset
            part += struct.pack(">i", 0)  # aborted_transactions: empty
            if version >= 11:
                part += struct.pack(">i", -1)  # preferred_read_replica
            part += struct.pack(">i", len(records)) + records
            topics.append(string(topic) + array([part]))
        return body + array(topics)

    def _find_coordinator(self, version):
        coordinator_not_available = 15
        body = b""
        if version >= 1:
            body += struct.pack(">i", 0)  # throttle_time_ms
        body += struct.pack(">h", coordinator_not_available)
        if version >= 1:
            body += string(None)  # error_message
        return body + struct.pack(">i", -1) + string("") + struct.pack(">i", -1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=9092)
    parser.add_argument("--out", required=True, help="directory for the captured record batches")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with CaptureServer(args.port, log=lambda m: print(m, file=sys.stderr)) as server:
        print("listening on 127.0.0.1:%d; Ctrl-C to stop" % server.port, file=sys.stderr)
        written = 0
        try:
            while True:
                threading.Event().wait(0.2)
                with server.lock:
                    new = server.captures[written:]
                for capture in new:
                    path = os.path.join(args.out, "%s-%d-%d.bin" % (capture["topic"], capture["partition"], written))
                    with open(path, "wb") as f:
                        f.write(capture["records"])
                    written += 1
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
