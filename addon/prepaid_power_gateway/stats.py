"""Bus statistics per slave, in bounded memory."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
import math
import time
from typing import Any

LATENCY_WINDOW = 512


@dataclass(slots=True)
class SlaveStats:
    """Counters and recent latencies of one slave id."""

    requests: int = 0
    answers: int = 0
    exceptions: int = 0
    timeouts: int = 0
    crc_errors: int = 0
    unavailable: int = 0
    latency_total: float = 0.0
    latency_count: int = 0
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))
    last_seen: float | None = None

    def add_latency(self, seconds: float) -> None:
        """Record the latency of an answered request."""
        self.latency_total += seconds
        self.latency_count += 1
        self.recent.append(seconds)
        self.last_seen = time.time()

    @property
    def latency_mean_ms(self) -> float | None:
        """Mean latency of every answered request."""
        return 1000 * self.latency_total / self.latency_count if self.latency_count else None

    @property
    def latency_p95_ms(self) -> float | None:
        """95th percentile (nearest rank) of the last `LATENCY_WINDOW` answers."""
        if not self.recent:
            return None
        ordered = sorted(self.recent)
        return 1000 * ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        mean, p95 = self.latency_mean_ms, self.latency_p95_ms
        return {
            "requests": self.requests,
            "answers": self.answers,
            "exceptions": self.exceptions,
            "timeouts": self.timeouts,
            "crc_errors": self.crc_errors,
            "unavailable": self.unavailable,
            "latency_mean_ms": None if mean is None else round(mean, 3),
            "latency_p95_ms": None if p95 is None else round(p95, 3),
            "last_seen": self.last_seen,
        }


class BusStats:
    """Statistics of one gateway."""

    def __init__(self) -> None:
        self.started = time.time()
        self.slaves: dict[int, SlaveStats] = {}
        self.clients_connected = 0
        self.clients_total = 0
        self.dropped_requests = 0
        self.busy_rejections = 0
        self.refused_clients = 0
        self.queue_depth = 0

    def slave(self, unit: int) -> SlaveStats:
        """Counters of one slave id (created on first use)."""
        stats = self.slaves.get(unit)
        if stats is None:
            stats = self.slaves[unit] = SlaveStats()
        return stats

    def totals(self) -> dict[str, int]:
        """Counters summed over every slave."""
        keys = ("requests", "answers", "exceptions", "timeouts", "crc_errors", "unavailable")
        return {k: sum(getattr(s, k) for s in self.slaves.values()) for k in keys}

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (served at /api/stats)."""
        return {
            "uptime_s": round(time.time() - self.started, 1),
            "clients_connected": self.clients_connected,
            "clients_total": self.clients_total,
            "queue_depth": self.queue_depth,
            "dropped_requests": self.dropped_requests,
            "busy_rejections": self.busy_rejections,
            "refused_clients": self.refused_clients,
            "totals": self.totals(),
            "slaves": {str(unit): s.as_dict() for unit, s in sorted(self.slaves.items())},
        }
