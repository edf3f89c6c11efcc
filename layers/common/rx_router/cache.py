"""The one per-container TTL cache. Every cache the router keeps is a TtlCache, so `TtlCache.clear_all()`
forgets everything at once (tests; SnapStart restore hooks)."""

import threading
import time
from collections.abc import Callable
from typing import ClassVar


class TtlCache[K, V]:
    """Values kept for `ttl()` seconds (read when a value is stored, so settings are never read at import).

    Bounded: when full, expired entries are dropped first, then the least recently stored."""

    _instances: ClassVar[list['TtlCache[object, object]']] = []

    def __init__(self, ttl: Callable[[], float], max_entries: int = 1024) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()
        TtlCache._instances.append(self)  # type: ignore[arg-type]

    def get(self, key: K, load: Callable[[], V]) -> V:
        """The cached value, or `load()`'s (cached) when there is none or it has expired."""
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = load()
        self.put(key, value)
        return value

    def peek(self, key: K) -> V | None:
        found = self.peek_entry(key)
        return found[0] if found is not None else None

    def peek_entry(self, key: K) -> tuple[V] | None:
        """The cached value in a 1-tuple (so a cached None is told from no entry), or None."""
        found = self._entries.get(key)
        return (found[1],) if found is not None and found[0] > time.monotonic() else None

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        now = time.monotonic()
        expires = now + (self._ttl() if ttl is None else ttl)
        with self._lock:
            self._entries.pop(key, None)  # a value stored again counts as the newest
            if len(self._entries) >= self._max_entries:
                self._evict(now)
            self._entries[key] = (expires, value)

    def pop(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _evict(self, now: float) -> None:
        for key in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        if len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]

    @classmethod
    def clear_all(cls) -> None:
        for cache in cls._instances:
            cache.clear()
