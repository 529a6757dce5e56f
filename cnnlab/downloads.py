"""Can something be downloaded here? One short probe, cached: the app works offline and never hangs.
"""

from __future__ import annotations

import os
import socket
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
