"""`python -m cnnlab.worker RUN_ID`: the entry point of a training worker process (see cnnlab.train.worker);
`python -m cnnlab.worker --standby [LOG]`: a warm standby worker waiting for a run (see cnnlab.train.standby)."""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["--standby"]:
        from cnnlab.train.standby import main as standby_main

        sys.exit(standby_main(sys.argv[1:]))
    from cnnlab.train.worker import main

    sys.exit(main())
