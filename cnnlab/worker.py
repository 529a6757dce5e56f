"""`python -m cnnlab.worker RUN_ID`: the entry point of a training worker process (see cnnlab.train.worker)."""

import sys

from cnnlab.train.worker import main

if __name__ == "__main__":
    sys.exit(main())
