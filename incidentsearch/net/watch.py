"""Whether the network is there at all: each host's first fate, answered or not reached.

A user on a train, behind a firewall or with a broken resolver sees every host fail at DNS
or connect. When the first few hosts asked all failed so, and none answered, the run is
offline: the fetcher says so once (a warning), stops retrying hosts it cannot resolve or
connect to, and the run's last line says that no host could be reached. The verdict comes
only from the failures the run itself met; no public host is probed to find out.
"""
from __future__ import annotations

import threading
from collections import Counter

OFFLINE_AFTER = 3          # hosts that must all have failed, none answered, to call it "no network"

NO_NETWORK = "no network: could not reach any host; check your connection or proxy"


class NetworkWatch:
    """Thread-safe: hosts that answered (any HTTP status) and hosts not reached, with why."""

    def __init__(self, offline_after: int = OFFLINE_AFTER):
        self.offline_after = offline_after
        self.answered: set[str] = set()
        self.unreached: dict[str, str] = {}        # host -> the first reason (DNS lookup failed, ...)
        self._lock = threading.Lock()
        self._said = False

    def answer(self, host: str) -> None:
        with self._lock:
            self.answered.add(host)
            self.unreached.pop(host, None)

    def fail(self, host: str, reason: str) -> bool:
        """Record a host not reached; True the first time the run turns out to be offline."""
        with self._lock:
            if host not in self.answered:
                self.unreached.setdefault(host, reason)
            if not self._said and self._offline():
                self._said = True
                return True
            return False

    def _offline(self) -> bool:
        return not self.answered and len(self.unreached) >= self.offline_after

    @property
    def offline(self) -> bool:
        with self._lock:
            return self._offline()

    def reasons(self) -> Counter:
        with self._lock:
            return Counter(self.unreached.values())

    def verdict(self) -> str | None:
        """The run's last line when no host at all could be reached, else None."""
        with self._lock:
            if self.answered or not self.unreached:
                return None
            n, why = len(self.unreached), Counter(self.unreached.values()).most_common()
        causes = ", ".join(f"{k}: {v}" for k, v in why)
        return (f"no network: could not reach any of {n} host{'s' if n != 1 else ''} ({causes}); "
                "check your connection or proxy")

    def first_warning(self) -> str:
        with self._lock:
            hosts = list(self.unreached.items())[: self.offline_after]
        return (f"{NO_NETWORK} (the first {len(hosts)} hosts all failed: "
                + ", ".join(f"{h}: {r}" for h, r in hosts) + "); hosts that cannot be resolved or "
                "connected to are not retried")

    def as_dict(self) -> dict:
        with self._lock:
            return {"hosts_answered": len(self.answered), "hosts_unreached": dict(sorted(self.unreached.items())),
                    "offline": self._offline() or (not self.answered and bool(self.unreached))}
