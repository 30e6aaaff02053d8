"""A token bucket: the pacing rule shared by the live rider socket and the planner's rooms."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TokenBucket"]


@dataclass
class TokenBucket:
    """A rate limit: ``rate_per_s`` tokens a second, at most ``burst`` saved up (starts full)."""

    rate_per_s: float
    burst: float
    tokens: float = 0.0
    updated_s: float | None = None

    def reserve(self, now_s: float) -> float:
        """Spend one token, borrowing if none is left; how long (s) the caller must wait first.

        Waiting instead of refusing keeps a client's messages in order: the server reads the
        next frame only after the wait, so a flooding client is slowed by TCP back-pressure.
        """
        if self.updated_s is None:
            self.tokens, self.updated_s = self.burst, now_s
        elapsed = max(0.0, now_s - self.updated_s)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate_per_s) - 1.0
        self.updated_s = now_s
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate_per_s
