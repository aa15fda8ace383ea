#!/usr/bin/env bash
# Re-captures every golden vector into Tests/KafkaWireTests/Fixtures.
# Makes venvs under scripts/golden/.venv (ignored by git): kafka-python 2.0.2 and 3.x, confluent-kafka.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../Tests/KafkaWireTests/Fixtures}"
venvs="$here/.venv"
mkdir -p "$venvs"
if [ ! -x "$venvs/kp2/bin/python" ]; then
    python3 -m venv "$venvs/kp2"
    "$venvs/kp2/bin/pip" install -q kafka-python==2.0.2 python-snappy lz4 zstandard crc32c confluent-kafka
fi
if [ ! -x "$venvs/kp3/bin/python" ]; then
    python3 -m venv "$venvs/kp3"
    "$venvs/kp3/bin/pip" install -q "kafka-python>=3,<4" python-snappy cramjam lz4 zstandard crc32c
fi
"$venvs/kp2/bin/python" "$here/capture.py" kafka-python --out "$out"
"$venvs/kp3/bin/python" "$here/capture.py" kafka-python --out "$out"
"$venvs/kp2/bin/python" "$here/capture.py" confluent-kafka --out "$out"
