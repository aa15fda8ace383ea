#!/usr/bin/env bash
# Fails when the committed Kafka message codecs differ from what fjord-protocol-gen writes today.
#
# Builds the generator, regenerates Sources/KafkaProtocol/Generated and Tests/KafkaProtocolTests/Generated into a
# temporary directory (the generator runs `swift format` on its output, so formatting is part of the comparison),
# and diffs them against the committed files. Fix a failure with `swift run fjord-protocol-gen` and commit.
#
# Environment: FJORD_KAFKA_MESSAGES  folder of Kafka's message JSON (default ../shared/kafka-protocol/message)
#              FJORD_GEN_SCRATCH     SwiftPM scratch path for building the generator (default .build-protocol-gen)
set -euo pipefail

cd "$(dirname "$0")/.."
messages="${FJORD_KAFKA_MESSAGES:-../shared/kafka-protocol/message}"
scratch="${FJORD_GEN_SCRATCH:-.build-protocol-gen}"

if [ ! -d "$messages" ]; then
    echo "check-generated: message definitions not found at $messages (set FJORD_KAFKA_MESSAGES)" >&2
    exit 2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

swift build --scratch-path "$scratch" --product fjord-protocol-gen >"$tmp/build.log" 2>&1 || {
    cat "$tmp/build.log" >&2
    echo "check-generated: building fjord-protocol-gen failed" >&2
    exit 2
}
bin="$(swift build --scratch-path "$scratch" --show-bin-path)"
"$bin/fjord-protocol-gen" --input "$messages" --output "$tmp/Sources" --tests-output "$tmp/Tests" >/dev/null

status=0
diff -r Sources/KafkaProtocol/Generated "$tmp/Sources" || status=1
diff -r Tests/KafkaProtocolTests/Generated "$tmp/Tests" || status=1
if [ "$status" -ne 0 ]; then
    echo "check-generated: generated code is stale; run 'swift run fjord-protocol-gen' and commit the result" >&2
    exit 1
fi
echo "check-generated: generated code is up to date"
