"""``python -m zcf``: the ``zcf`` console script without its installed wrapper."""

import sys

from zcf.cli import main

sys.exit(main())
