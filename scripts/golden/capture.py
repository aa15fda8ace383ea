#!/usr/bin/env python3
"""Captures record batches written by real Kafka clients, as golden vectors for Fjord's record batch codec.

    capture.py kafka-python    --out DIR   builds one batch per codec with kafka-python's own record builder
                                           (kafka.record.default_records.DefaultRecordBatchBuilder); no broker needed
    capture.py confluent-kafka --out DIR   produces with confluent-kafka (librdkafka) to capture_server.py, once per
                                           codec and once more as an idempotent producer

Each run writes `<client>-<version>[-idempotent]-<codec>.bin` (the `records` bytes exactly as the client sent them:
one or more whole batches), `records.json` (the records sent, from golden_records.py) and merges its files into
`manifest.json`. Run it with the interpreter of a venv that has the client installed: see capture_all.sh.
"""

import argparse
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_records import golden_records, write_records_json  # noqa: E402

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
CODEC_IDS = {name: i for i, name in enumerate(CODECS)}
HEADER = struct.Struct(">qiibIhiqqqhii")  # the 61-byte record batch v2 header


def batch_headers(data):
    """The header fields of each batch in `data`, walking batch lengths."""
    out, pos = [], 0
    while pos < len(data):
        fields = HEADER.unpack_from(data, pos)
        names = ("baseOffset batchLength partitionLeaderEpoch magic crc attributes lastOffsetDelta baseTimestamp "
                 "maxTimestamp producerId producerEpoch baseSequence recordCount").split()
        header = dict(zip(names, fields))
        out.append(header)
        pos += header["batchLength"] + 12
    if pos != len(data):
        raise SystemExit("captured bytes do not end on a batch boundary")
    return out


def update_manifest(out_dir, entries):
    path = os.path.join(out_dir, "manifest.json")
    manifest = []
    if os.path.exists(path):
        with open(path) as f:
            manifest = json.load(f)
    names = {e["file"] for e in entries}
    manifest = [e for e in manifest if e["file"] not in names] + entries
    manifest.sort(key=lambda e: e["file"])
    with open(path, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def save(out_dir, file_name, data, client, client_version, codec, extra):
    with open(os.path.join(out_dir, file_name), "wb") as f:
        f.write(data)
    headers = batch_headers(data)
    codecs = {h["attributes"] & 7 for h in headers}
    if codecs != {CODEC_IDS[codec]}:
        raise SystemExit("%s: asked for %s, batches carry codec ids %s" % (file_name, codec, codecs))
    first = headers[0]
    entry = dict(
        file=file_name, client=client, clientVersion=client_version, codec=codec, records="records.json",
        batchCount=len(headers), producerId=first["producerId"], producerEpoch=first["producerEpoch"],
        baseSequence=first["baseSequence"], **extra,
    )
    section = data[61:]
    print("%-48s %7d bytes, %d batch(es), records section starts %s" % (file_name, len(data), len(headers),
          section[:8].hex()))
    return entry


def capture_kafka_python(out_dir):
    import kafka
    from kafka.record.default_records import DefaultRecordBatchBuilder

    version = kafka.__version__
    # kafka-python 3.x producers are idempotent by default: give its batches producer state to capture those fields.
    idempotent = int(version.split(".")[0]) >= 3
    producer = (4242, 3, 17) if idempotent else (-1, -1, -1)
    entries = []
    for codec in CODECS:
        builder = DefaultRecordBatchBuilder(
            magic=2, compression_type=CODEC_IDS[codec], is_transactional=False, producer_id=producer[0],
            producer_epoch=producer[1], base_sequence=producer[2], batch_size=16 * 1024 * 1024,
        )
        for offset, record in enumerate(golden_records()):
            metadata = builder.append(
                offset, timestamp=record["timestamp_ms"], key=record["key"], value=record["value"],
                headers=record["headers"],
            )
            if metadata is None:
                raise SystemExit("kafka-python builder refused record %d" % offset)
        data = bytes(builder.build())
        name = "kafka-python-%s-%s.bin" % (version, codec)
        entries.append(save(out_dir, name, data, "kafka-python", version, codec,
                            dict(builder="DefaultRecordBatchBuilder")))
    return entries


def capture_confluent_kafka(out_dir):
    import confluent_kafka
    from capture_server import CaptureServer

    version = confluent_kafka.__version__
    librdkafka = confluent_kafka.libversion()[0]
    runs = [(codec, False) for codec in CODECS] + [("lz4", True)]
    entries = []
    for codec, idempotent in runs:
        with CaptureServer() as server:
            config = {
                "bootstrap.servers": "127.0.0.1:%d" % server.port,
                "compression.type": codec,
                "linger.ms": 100,
                "acks": "all" if idempotent else "1",
                "enable.idempotence": idempotent,
                "message.timeout.ms": 20000,
            }
            producer = confluent_kafka.Producer(config)
            failures = []
            for record in golden_records():
                producer.produce(
                    "golden", partition=0, key=record["key"], value=record["value"],
                    headers=record["headers"], timestamp=record["timestamp_ms"],
                    on_delivery=lambda err, msg: failures.append(err) if err else None,
                )
            remaining = producer.flush(30)
            if remaining or failures:
                raise SystemExit("confluent-kafka (%s): %d undelivered, errors %s" % (codec, remaining, failures))
            del producer
            time.sleep(0.2)  # let the producer's threads close their sockets before the server stops
            data = b"".join(c["records"] for c in server.captures if c["topic"] == "golden")
            api_versions = sorted({c["api_version"] for c in server.captures})
        name = "confluent-kafka-%s-%s%s.bin" % (version, "idempotent-" if idempotent else "", codec)
        entries.append(save(out_dir, name, data, "confluent-kafka", version, codec,
                            dict(librdkafka=librdkafka, idempotent=idempotent, produceVersions=api_versions)))
    return entries


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("client", choices=["kafka-python", "confluent-kafka"])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    write_records_json(os.path.join(args.out, "records.json"), golden_records())
    if args.client == "kafka-python":
        entries = capture_kafka_python(args.out)
    else:
        entries = capture_confluent_kafka(args.out)
    update_manifest(args.out, entries)


if __name__ == "__main__":
    main()
