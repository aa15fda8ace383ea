#!/usr/bin/env bash
# Installs what `make bench` needs besides the build (Debian 12 / Ubuntu): the peers (Redis 7, NATS server), the
# client libraries the C drivers in bench/drivers link against (librdkafka, the NATS C client), the limit tools
# (fio, iperf3) and perf for profiling. Idempotent: does nothing when everything is present.
set -euo pipefail
PACKAGES=(gcc librdkafka-dev libnats-dev redis-server redis-tools nats-server fio iperf3 linux-perf)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "bench/install-deps: apt-get install ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The packaged services must not hold the ports or the disk while we benchmark: the bench starts its own.
    for service in redis-server nats-server; do
        $SUDO systemctl disable --now "$service" >/dev/null 2>&1 || true
    done
fi
echo "bench/install-deps: ok"
