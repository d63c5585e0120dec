"""The bound on points held in memory: paho's network thread waits for room before it hands
a message to the event loop, so a store outage stops reading from the broker instead of
growing the queue.

MQTT 5's receive maximum bounds messages, not points, and MQTT 3.1.1 has only the broker's
in-flight limit (0, unlimited, in Mosquitto's default): this is ingest's own bound for both.

A message's points are known only once the loop has decoded it, so the network thread
reserves room for the largest message seen so far and the loop corrects the reservation;
until the first message is counted, one message at a time goes through. The points held
thus stay within the limit plus one message (plus the excess of messages in transit that
are larger than any before them).
"""

from __future__ import annotations

import threading
from collections import deque


class PointBudget:
    """Points received and not yet written, shared by paho's thread and the event loop."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._cond = threading.Condition()
        self._held = 0  # points counted or reserved, not yet released
        self._largest = 0  # points of the largest message counted (0: none yet)
        self._reserved: deque[int] = deque()  # reservation of each message not yet counted
        self._open = False

    @property
    def held(self) -> int:
        return self._held

    def admit(self) -> None:
        """Network thread: wait for room for one more message, then reserve it."""
        with self._cond:
            while not self._open and (self._held >= self.limit or (self._largest == 0 and self._reserved)):
                self._cond.wait()
            self._reserved.append(self._largest)
            self._held += self._largest

    def count(self, points: list[int]) -> None:
        """Loop: the oldest messages admitted and not yet counted hold ``points``, in order."""
        if not points:
            return
        with self._cond:
            reserved, wake = self._reserved, False
            for n in points:
                r = reserved.popleft() if reserved else 0
                self._held += n - r
                if n > self._largest:
                    self._largest = n
                wake = wake or n < r or r == 0
            if wake:
                self._cond.notify()

    def release(self, points: int) -> None:
        """Loop: ``points`` counted earlier are written; wake the network thread."""
        with self._cond:
            self._held -= points
            self._cond.notify()

    def open(self) -> None:
        """Let every message through from now on: stopping must never block paho's thread."""
        with self._cond:
            self._open = True
            self._cond.notify_all()
