"""A zip member's CRC-32, checked over bytes mapped from the file, now or on a thread of
its own so that the person need not wait for it."""

from __future__ import annotations

import threading
import zlib

from core.errors import InvalidFormatError

CHUNK = 64 << 20


class Checksum:
    """The check of ``view`` (the member's bytes) against the CRC its directory entry
    declares. `start` runs it on a thread (zlib lets go of the GIL while it sums);
    `wait` waits for that, or runs it here if it never started, and raises
    `InvalidFormatError` naming ``where`` when the bytes are not what was written."""

    def __init__(self, view: memoryview, expected: int, where: str) -> None:
        self.expected = expected
        self.where = where
        self._view: memoryview | None = view
        self._matches: bool | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> Checksum:
        with self._lock:
            if self._thread is None and self._matches is None:
                self._thread = threading.Thread(target=self._run, name="checksum",
                                                daemon=False)
                self._thread.start()
        return self

    def done(self) -> bool:
        return self._matches is not None

    def wait(self) -> None:
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()
        else:
            self._run()
        if not self._matches:
            raise InvalidFormatError(f"{self.where} is damaged (its checksum does not "
                                     "match): the weights read from it may be wrong")

    def _run(self) -> None:
        view = self._view
        if view is None:
            return
        crc = 0
        for start in range(0, len(view), CHUNK):
            crc = zlib.crc32(view[start:start + CHUNK], crc)
        self._matches = crc == self.expected
        self._view = None  # the mapping may go as soon as the tensors do
