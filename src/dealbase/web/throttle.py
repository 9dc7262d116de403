"""Sign-in attempts throttled per e-mail address and per client address.

Failed attempts are counted in a sliding window, in the server process's memory: past the
limit, sign-in with that e-mail (or from that client) is refused until the oldest failure
leaves the window, whatever the password. A success clears the e-mail's count. Each worker
process counts its own (``workers`` multiplies the limits); a restart forgets them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 15 * 60
PER_EMAIL = 5
PER_CLIENT = 20
_MAX_KEYS = 100_000


class Throttle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        seen = self.failures.get(key)
        if seen is None:
            return deque()
        cutoff = self.clock() - WINDOW_SECONDS
        while seen and seen[0] <= cutoff:
            seen.popleft()
        if not seen:
            del self.failures[key]
        return seen

    def wait(self, email: str, client: str) -> int:
        """Seconds until an attempt with this e-mail from this client is taken; 0: now."""
        waits = [0.0]
        for key, limit in ((("email", email.lower()), PER_EMAIL), (("client", client), PER_CLIENT)):
            seen = self._recent(key)
            if len(seen) >= limit:
                waits.append(seen[0] + WINDOW_SECONDS - self.clock())
        return max(0, int(max(waits) + 0.999))

    def failed(self, email: str, client: str) -> None:
        if len(self.failures) >= _MAX_KEYS:
            self.failures.clear()
        stamp = self.clock()
        for key in (("email", email.lower()), ("client", client)):
            self.failures.setdefault(key, deque()).append(stamp)

    def succeeded(self, email: str) -> None:
        self.failures.pop(("email", email.lower()), None)
