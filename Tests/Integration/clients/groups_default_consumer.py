"""The issue's "must just work" line, verbatim: kafka-python with every default but the group id,
`KafkaConsumer(topic, bootstrap_servers=<one broker>, group_id="test")`, iterated. Prints one JSON line per record,
[partition, offset, value]; SIGTERM ends the iteration and closes the consumer (which commits, auto-commit being the
default)."""
import json
import signal
import sys

from kafka import KafkaConsumer


def on_sigterm(*_):
    # What Ctrl-C does to a user's script; a BaseException, so no `except Exception` inside the client swallows it.
    raise KeyboardInterrupt()


def main() -> int:
    topic, bootstrap = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGTERM, on_sigterm)
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id="test")
    try:
        for message in consumer:
            print(json.dumps([message.partition, message.offset, message.value.decode()]), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        consumer.close()
    print(json.dumps({"closed": True}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
