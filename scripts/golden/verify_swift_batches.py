#!/usr/bin/env python3
"""Checks that real clients decode the record batches Fjord's Swift builder writes.

    verify_swift_batches.py [--dir DIR] [--scratch-path PATH]

Without --dir it first runs `swift test --filter SwiftBatchExportTests` with FJORD_EXPORT_SWIFT_BATCHES set, which
writes swift-<codec>.bin for every codec. Then, in each venv under scripts/golden/.venv (kafka-python 2.0.2 and 3.x;
make them with capture_all.sh), it decodes every file with kafka-python's own reader (kafka.record.MemoryRecords),
checks each batch's CRC with kafka-python and compares the records with Tests/KafkaWireTests/Fixtures/records.json.
Then it serves each file from capture_server.py as a Fetch response and consumes it with confluent-kafka (librdkafka),
comparing the same way, and, when `kcat` is on PATH (Debian's, on the system librdkafka), consumes it with kcat and
compares offsets, timestamps and key and value sizes. Exits non-zero on any difference.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "KafkaWireTests", "Fixtures")
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]

# Runs inside each venv's interpreter: decode with kafka-python, compare, print one line per file.
DECODER = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
import kafka
from kafka.record import MemoryRecords
from golden_records import records_from_json
expected = records_from_json(json.load(open(sys.argv[2])))
failures = 0
for path in sys.argv[3:]:
    records = MemoryRecords(open(path, "rb").read())
    got, codecs = [], set()
    while True:
        batch = records.next_batch()
        if batch is None:
            break
        if not batch.validate_crc():
            raise SystemExit("%s: kafka-python says the CRC is wrong" % path)
        codecs.add(batch.compression_type)
        for r in batch:
            got.append(dict(offset=r.offset, key=r.key, value=r.value, timestamp_ms=r.timestamp,
                            headers=[(k, v) for k, v in r.headers]))
    want = [dict(offset=i, **{k: e[k] for k in ("key", "value", "timestamp_ms", "headers")})
            for i, e in enumerate(expected)]
    ok = got == want
    failures += not ok
    print("kafka-python %-7s %-22s codec ids %s: %s" % (kafka.__version__, path.rsplit("/", 1)[-1], sorted(codecs),
          "OK, %d records match" % len(got) if ok else "MISMATCH"))
sys.exit(1 if failures else 0)
'''


# Runs inside the confluent-kafka venv: serve each file through Fetch, consume it with librdkafka, compare.
CONSUMER = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
import confluent_kafka
from capture_server import CaptureServer
from golden_records import records_from_json
expected = records_from_json(json.load(open(sys.argv[2])))
want = [dict(offset=i, key=e["key"], value=e["value"], timestamp_ms=e["timestamp_ms"], headers=e["headers"])
        for i, e in enumerate(expected)]
failures = 0
for path in sys.argv[3:]:
    with CaptureServer(fetchable=open(path, "rb").read(), fetchable_next_offset=len(expected)) as server:
        consumer = confluent_kafka.Consumer({
            "bootstrap.servers": "127.0.0.1:%d" % server.port, "group.id": "verify", "enable.auto.commit": False,
            "check.crcs": True, "fetch.wait.max.ms": 100,
        })
        consumer.assign([confluent_kafka.TopicPartition("golden", 0, 0)])
        got = []
        for _ in range(100):
            message = consumer.poll(0.2)
            if message is None:
                if len(got) >= len(want):
                    break
                continue
            if message.error():
                raise SystemExit("%s: librdkafka error %s" % (path, message.error()))
            got.append(dict(offset=message.offset(), key=message.key(), value=message.value(),
                            timestamp_ms=message.timestamp()[1], headers=list(message.headers() or [])))
        consumer.close()
    ok = got == want
    failures += not ok
    print("librdkafka %-9s %-22s: %s" % (confluent_kafka.libversion()[0], path.rsplit("/", 1)[-1],
          "OK, %d records match" % len(got) if ok else "MISMATCH (%d records)" % len(got)))
sys.exit(1 if failures else 0)
'''


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", help="directory holding swift-<codec>.bin (default: export them now)")
    parser.add_argument("--scratch-path", default=os.path.join(ROOT, ".build-golden"))
    args = parser.parse_args()
    directory = args.dir
    if directory is None:
        directory = tempfile.mkdtemp(prefix="fjord-swift-batches-")
        env = dict(os.environ, FJORD_EXPORT_SWIFT_BATCHES=directory)
        subprocess.run(
            ["swift", "test", "--scratch-path", args.scratch_path, "--filter", "SwiftBatchExportTests"],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
        )
    files = [os.path.join(directory, "swift-%s.bin" % codec) for codec in CODECS]
    missing = [f for f in files if not os.path.exists(f)]
    if missing:
        raise SystemExit("missing: %s" % missing)
    status = 0
    for venv in ("kp2", "kp3"):
        python = os.path.join(HERE, ".venv", venv, "bin", "python")
        if not os.path.exists(python):
            raise SystemExit("no venv %s: run scripts/golden/capture_all.sh first" % python)
        result = subprocess.run([python, "-c", DECODER, HERE, os.path.join(FIXTURES, "records.json")] + files)
        status |= result.returncode
    python = os.path.join(HERE, ".venv", "kp2", "bin", "python")  # the venv with confluent-kafka
    result = subprocess.run([python, "-c", CONSUMER, HERE, os.path.join(FIXTURES, "records.json")] + files)
    status |= result.returncode
    if shutil.which("kcat"):
        status |= verify_with_kcat(files)
    sys.exit(status)


def verify_with_kcat(files):
    sys.path.insert(0, HERE)
    from capture_server import CaptureServer
    from golden_records import golden_records

    records = golden_records()
    size = lambda b: -1 if b is None else len(b)
    want = ["%d %d %d %d" % (i, r["timestamp_ms"], size(r["key"]), size(r["value"])) for i, r in enumerate(records)]
    banner = subprocess.run(["kcat", "-V"], capture_output=True, text=True).stdout
    version = banner.split("librdkafka ")[-1].split()[0] if "librdkafka " in banner else "?"
    failures = 0
    for path in files:
        with CaptureServer(fetchable=open(path, "rb").read(), fetchable_next_offset=len(records)) as server:
            out = subprocess.run(
                ["kcat", "-C", "-b", "127.0.0.1:%d" % server.port, "-t", "golden", "-p", "0", "-o", "0",
                 "-c", str(len(records)), "-f", "%o %T %K %S\\n", "-X", "check.crcs=true"],
                capture_output=True, timeout=60,
            )
        got = out.stdout.decode("ascii", "replace").splitlines()
        ok = got == want
        failures += not ok
        print("kcat (librdkafka %s) %-22s: %s" % (version, os.path.basename(path),
              "OK, %d records match" % len(got) if ok else "MISMATCH %s" % out.stderr[-300:]))
    return 1 if failures else 0


if __name__ == "__main__":
    main()
