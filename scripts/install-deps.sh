#!/usr/bin/env bash
# Installs what building and testing Fjord needs on Debian 12 / Ubuntu: C libraries, ZooKeeper, real Kafka clients
# (kcat from apt; kafka-python and confluent-kafka in Python venvs). Idempotent: does nothing when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
    zookeeper libzookeeper-mt-dev default-jre-headless
    zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev
    kcat librdkafka-dev python3-venv
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "install-deps: apt-get install ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Test tooling venv: kafka-python 3.x, confluent-kafka, pytest, compose schema checker.
make_venv() { # dir requirements-file
    local dir=$1 req=$2 stamp="$1/.installed-$(sha1sum "$2" | cut -c1-12)"
    [ -f "$stamp" ] && return 0
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check -r "$req"
    touch "$stamp"
}
make_venv .venv scripts/requirements.txt
# kafka-python 2.0.2 cannot share a venv with 3.x.
make_venv .venv-kp2 scripts/requirements-kp2.txt
echo "install-deps: ok"
