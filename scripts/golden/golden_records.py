"""The record set every golden-vector capture sends, and its JSON form.

The set covers the awkward cases of the record format: a null key, an empty key, an empty value, a null value
(tombstone), binary bytes 0..255, non-ASCII UTF-8 in keys, values and header keys, several headers (duplicate keys,
an empty value, a null value), a timestamp earlier than the batch's first one (negative delta), and a 100 KiB value.
"""

import base64
import json

BASE_TIMESTAMP_MS = 1_700_000_000_000


def _large_value():
    # 100 KiB, compressible (so every client keeps it compressed) but not trivially so.
    lines = []
    size = 0
    i = 0
    while size < 100 * 1024:
        line = ("%08d fjord golden vector line, the quick brown fox jumps over the lazy dog %d\n" % (i, i * i % 9973))
        lines.append(line.encode("ascii"))
        size += len(line)
        i += 1
    return b"".join(lines)[: 100 * 1024]


def golden_records():
    """A list of dicts: key (bytes|None), value (bytes|None), headers [(str, bytes|None)], timestamp_ms (int)."""
    ts = BASE_TIMESTAMP_MS
    return [
        dict(key=b"key-0", value=b"hello, fjord", headers=[], timestamp_ms=ts),
        dict(key=None, value=b"a value with a null key", headers=[], timestamp_ms=ts + 1),
        dict(key=b"empty-value", value=b"", headers=[], timestamp_ms=ts + 2),
        dict(key=b"", value=b"an empty key", headers=[], timestamp_ms=ts + 3),
        dict(key=b"tombstone", value=None, headers=[], timestamp_ms=ts + 4),
        dict(key=bytes(range(256)), value=bytes(reversed(range(256))), headers=[], timestamp_ms=ts + 5),
        dict(key="ключ-🔑".encode("utf-8"), value="Grüße, 世界 🌍".encode("utf-8"), headers=[], timestamp_ms=ts + 6),
        dict(
            key=b"with-headers",
            value=b"several headers",
            headers=[
                ("trace-id", b"0af7651916cd43dd8448eb211c80319c"),
                ("empty", b""),
                ("null", None),
                ("ünïcødé-ключ", b"\x00\x01\xfe\xff"),
                ("trace-id", b"duplicate keys are allowed"),
            ],
            timestamp_ms=ts + 7,
        ),
        dict(key=b"earlier", value=b"a timestamp before the first record's", headers=[], timestamp_ms=ts - 1000),
        dict(key=b"large", value=_large_value(), headers=[("size", b"102400")], timestamp_ms=ts + 9),
        dict(key=b"last", value=b"the end", headers=[("h", b"v")], timestamp_ms=ts + 10),
    ]


def _b64(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def records_to_json(records):
    return [
        {
            "key": _b64(r["key"]),
            "value": _b64(r["value"]),
            "headers": [{"key": k, "value": _b64(v)} for k, v in r["headers"]],
            "timestamp": r["timestamp_ms"],
        }
        for r in records
    ]


def records_from_json(items):
    unb64 = lambda s: None if s is None else base64.b64decode(s)
    return [
        dict(
            key=unb64(item["key"]),
            value=unb64(item["value"]),
            headers=[(h["key"], unb64(h["value"])) for h in item["headers"]],
            timestamp_ms=item["timestamp"],
        )
        for item in items
    ]


def write_records_json(path, records):
    with open(path, "w") as f:
        json.dump(records_to_json(records), f, indent=1, ensure_ascii=False)
        f.write("\n")
