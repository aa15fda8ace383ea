# Fjord — the two commands a newcomer needs: `make cluster` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= debug
BUILD_FLAGS ?=
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: all build release deps generate check-generated check-compose test test-unit test-integration test-faults cluster cluster-stop \
	failover-demo format bench clean

all: build

deps:
	./scripts/install-deps.sh

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

release: deps
	$(SWIFT) build -c release $(BUILD_FLAGS)

# Regenerate Sources/KafkaProtocol/Generated from ../shared/kafka-protocol/message.
generate:
	$(SWIFT) run fjord-protocol-gen

# Fails when the committed generated code differs from what the generator writes now.
check-generated:
	./scripts/check-generated.sh

# docker-compose.yml and deploy/ checked without a Docker engine: the compose-spec schema (offline, vendored in
# check-jsonschema), scripts/check_compose.py (references, listeners, config keys parsed from the Swift sources,
# drift against `make cluster`, the image, Prometheus/Grafana) and its negative tests. Needs no build.
check-compose: deps
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml deploy/compose/*.yml
	$(PY) scripts/check_compose.py
	$(VENV)/bin/pytest --noconftest -q -p no:cacheprovider Tests/Integration/test_compose.py

# Serial (--no-parallel): on two cores, parallel suites starve the timing-sensitive ones (idle timeouts, replication)
test-unit: deps
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build --no-parallel $(BUILD_FLAGS)

# Integration tests: real clients (kafka-python 2.0.2 and 3.x, confluent-kafka, kcat) against a cluster of real
# processes that the tests start in their own directory and port range (a `make cluster` keeps running).
# Extra pytest arguments: `make test-integration PYTEST_ARGS="-k bad_input"`.
PYTEST_ARGS ?=
test-integration: deps
	$(SWIFT) build -c $(CONFIG) --product fjord-broker $(BUILD_FLAGS)
	$(SWIFT) build -c $(CONFIG) --product fjord-controller $(BUILD_FLAGS)
	$(SWIFT) build -c $(CONFIG) --product fjord $(BUILD_FLAGS)
	FJORD_BIN_DIR=.build/$(CONFIG) $(VENV)/bin/pytest Tests/Integration --durations=0 -rA $(PYTEST_ARGS)

# Fault injection (docs/fault-testing.md): kill -9 / SIGTERM / SIGSTOP of leaders, followers and the controller, two
# of three replicas down, a torn write, with an idempotent acks=all producer running; every acknowledged record must
# be consumed once, in order, and the replicas' bytes must match up to the high watermark. Own cluster under
# .build/faults-cluster (ports offset by 6000); figures go to .build/fault-figures.json.
test-faults: deps
	$(SWIFT) build -c $(CONFIG) --product fjord-broker $(BUILD_FLAGS)
	$(SWIFT) build -c $(CONFIG) --product fjord-controller $(BUILD_FLAGS)
	FJORD_BIN_DIR=.build/$(CONFIG) $(VENV)/bin/pytest Tests/Faults --durations=0 -rA $(PYTEST_ARGS)

test: deps check-generated check-compose test-unit test-integration test-faults
	@echo "make test: all passed"

# A local cluster: ZooKeeper on localhost:2181, two controllers, three brokers for clients at localhost:9092-9094.
# Data and logs live under .cluster/ (pids in .cluster/<name>.pid); running it again restarts what is stopped on the
# existing data. Debug binaries by default; `make cluster CONFIG=release` builds and runs release binaries.
cluster: deps
	$(SWIFT) build -c $(CONFIG) --product fjord-broker $(BUILD_FLAGS)
	$(SWIFT) build -c $(CONFIG) --product fjord-controller $(BUILD_FLAGS)
	$(SWIFT) build -c $(CONFIG) --product fjord $(BUILD_FLAGS)
	$(PY) scripts/cluster.py start --bin .build/$(CONFIG)

cluster-stop:
	python3 scripts/cluster.py stop

# Watch a failover on a running `make cluster`: a producer and a consumer run while the leader of a partition is
# killed with kill -9; prints the old and the new leader, the producer carrying on, the broker rejoining the ISR, and
# checks that every acknowledged record was consumed (scripts/failover_demo.py; about 30 s, exits 0 on success).
failover-demo: deps
	$(PY) scripts/failover_demo.py --bin .build/$(CONFIG)

# Fjord beside Redis streams, NATS JetStream and the machine's limits (iperf3, fio), plus fjord-bench, failover and
# group figures, in one run on this machine (docs/performance.md). About 15 minutes (bounded at 20 by bench/run.py);
# BENCH_QUICK=1 make bench: a few minutes. Writes bench/results/<date>[-quick].md and .json. Release binaries go to
# $(BENCH_SCRATCH) (default .build); the `fjord` CLI is optional (its perf figures are marked pending without it).
BENCH_SCRATCH ?= .build
bench: deps
	./bench/install-deps.sh
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH) --product fjord-broker $(BUILD_FLAGS)
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH) --product fjord-controller $(BUILD_FLAGS)
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH) --product fjord-bench $(BUILD_FLAGS)
	-$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH) --product fjord $(BUILD_FLAGS)
	FJORD_BENCH_BIN=$(BENCH_SCRATCH)/release timeout 1800 $(PY) bench/run.py

format:
	$(SWIFT) format -i -r --configuration .swift-format Sources Tests Package.swift

clean:
	rm -rf .build
