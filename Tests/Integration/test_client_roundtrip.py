"""Issue 3's "done means": each real client, bootstrapped at ONE broker, creates a 6-partition topic, produces keyed
records with headers and consumes them all from the beginning without a group, per-partition order intact and
content unchanged; then again with every compression codec the client supports. aiokafka reads in a consumer group
of two members with manual commits instead, as its documentation shows."""
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_client

FULL_COUNT = 50_000
CODEC_COUNT = 20_000
CLIENTS = {
    "kafka-python-2.0.2": ("kafka_python_roundtrip.py", ROOT / ".venv-kp2" / "bin" / "python"),
    "kafka-python-3": ("kafka_python_roundtrip.py", ROOT / ".venv" / "bin" / "python"),
    "confluent-kafka": ("confluent_roundtrip.py", ROOT / ".venv" / "bin" / "python"),
    "kcat": ("kcat_roundtrip.py", Path(sys.executable)),
    "aiokafka": ("aiokafka_roundtrip.py", ROOT / ".venv" / "bin" / "python"),
}
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("client", list(CLIENTS))
def test_round_trip(cluster, client, codec):
    script, python = CLIENTS[client]
    # Each client talks to a different single broker, so all three serve as a bootstrap.
    broker = 1 + (list(CLIENTS).index(client) + CODECS.index(codec)) % 3
    topic = f"roundtrip-{client}-{codec}".replace(".", "_")
    count = FULL_COUNT if codec == "none" else CODEC_COUNT
    result = run_client(script, python, "--bootstrap", cluster.bootstrap_one(broker), "--topic", topic,
                        "--count", str(count), "--compression", codec)
    print(result)
    assert result["errors"] == [], result
    assert result["returncode"] == 0, result["stderr"]
    assert result["consumed"] == count
