"""Can something be had here? The local cache first, then one short network probe (cached): the app works
offline and never hangs.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

DOWNLOAD_HOST = ("storage.googleapis.com", 443)


@lru_cache(maxsize=1)
def can_download(timeout: float = 1.5) -> bool:
    """Whether Keras' download host answers within `timeout` seconds (checked once per process).

    CNNLAB_OFFLINE=1 skips the check entirely (tests never touch the network).
    """
    if os.environ.get("CNNLAB_OFFLINE") == "1":
        return False
    try:
        with socket.create_connection(DOWNLOAD_HOST, timeout=timeout):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Availability:
    """Where a file (dataset, weights) would come from: the local cache, a download, or nowhere."""

    cached: bool
    downloadable: bool  # not cached, but the download host answers

    @property
    def available(self) -> bool:
        return self.cached or self.downloadable


def available_here(cached: bool, online: Callable[[], bool] | None = None) -> Availability:
    """Check the cache, then the network: the probe (`online`, by default can_download) runs only on a cache
    miss, so a machine that has the files never waits for the network."""
    if cached:
        return Availability(True, False)
    return Availability(False, (online or can_download)())
