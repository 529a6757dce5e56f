"""`python -m cnnlab.bench`."""

import sys

from cnnlab.bench import main

sys.exit(main())
