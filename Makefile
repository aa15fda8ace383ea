# Fjord — the two commands a newcomer needs: `make cluster` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= debug
BUILD_FLAGS ?=
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: all build release deps generate check-generated test test-unit format bench clean

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

test-unit: deps
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build $(BUILD_FLAGS)

test: deps check-generated test-unit
	@echo "make test: all passed"

bench: deps
	$(SWIFT) build -c release --product fjord-bench $(BUILD_FLAGS)
	./scripts/bench.sh

format:
	$(SWIFT) format -i -r --configuration .swift-format Sources Tests Package.swift

clean:
	rm -rf .build
