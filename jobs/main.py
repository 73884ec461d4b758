"""spark-submit entry point: `spark-submit --py-files lakescan-pyfiles.zip lakescan_main.py scan --config ...`.

The zip (from `make package`) holds the `jobs` and `detectors` packages with the rule data, so
executors import exactly the code and rules the driver hashed.
"""
from jobs.cli import main

if __name__ == "__main__":
    main()
