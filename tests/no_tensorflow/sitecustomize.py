"""Makes TensorFlow unimportable in every Python process started with this folder on PYTHONPATH.

Python imports `sitecustomize` at start-up, so a worker that jobs.launch() starts (it keeps PYTHONPATH) lacks
TensorFlow too: the situation on the JAX-only GPU machine. A finder that refuses the name is used rather than
`sys.modules["tensorflow"] = None`, because Keras takes a "tensorflow" key in sys.modules to mean that TensorFlow
is loaded and calls into it (keras.src.utils.backend_utils.in_tf_graph), which a machine without it never does.
"""

from __future__ import annotations

import sys


class _NoTensorFlow:
    """`import tensorflow` (and importlib.util.find_spec) fail as if it were not installed."""

    def find_spec(self, name: str, path=None, target=None):
        if name.partition(".")[0] == "tensorflow":
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by tests/no_tensorflow)", name=name)


sys.meta_path.insert(0, _NoTensorFlow())
