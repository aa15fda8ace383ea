"""Reads the Prometheus text exposition (format 0.0.4) that Fjord's processes serve at /metrics.

Tests and scripts import it: `scrape(port)` fetches and parses one process's metrics; `Metrics.value(name, **labels)`
sums the samples of `name` whose labels include the given ones (0.0 when there are none, so a counter that has not
been created yet reads as 0). Standard library only.
"""
from __future__ import annotations

import re
import urllib.request
from dataclasses import dataclass

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


class Metrics:
    """One exposition: its samples and `# TYPE` declarations."""

    def __init__(self, text: str):
        self.samples: list[Sample] = []
        self.types: dict[str, str] = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            if line.startswith("# TYPE "):
                parts = line.split()
                if len(parts) == 4:
                    self.types[parts[2]] = parts[3]
                continue
            if line.startswith("#"):
                continue
            match = SAMPLE.match(line)
            if not match:
                raise ValueError(f"malformed sample line: {line!r}")
            name, label_text, value = match.groups()
            labels = {k: unescape(v) for k, v in LABEL.findall(label_text or "")}
            self.samples.append(Sample(name, labels, float(value)))

    def series(self, name: str, **labels: str) -> list[Sample]:
        return [s for s in self.samples
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]

    def value(self, name: str, **labels: str) -> float:
        """The sum of the matching samples (0.0 when none match)."""
        return sum(s.value for s in self.series(name, **labels))

    def has(self, name: str) -> bool:
        return any(s.name == name for s in self.samples)


def unescape(value: str) -> str:
    """A label value without the exposition's escapes (backslash-backslash, backslash-quote, backslash-n)."""
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def fetch(port: int, path: str = "/metrics", host: str = "127.0.0.1", timeout: float = 3.0) -> tuple[int, str]:
    """GET http://host:port/path: (status, body). Non-2xx statuses are returned, not raised."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scrape(port: int, host: str = "127.0.0.1", timeout: float = 3.0) -> Metrics:
    status, body = fetch(port, "/metrics", host, timeout)
    if status != 200:
        raise RuntimeError(f"/metrics on port {port} answered {status}")
    return Metrics(body)
