"""`python scripts/demo.py [--weights DIR] [--out DIR]`: see ltx_serve/devtools/demo.py."""

import sys

from ltx_serve.devtools.demo import main

if __name__ == "__main__":
    sys.exit(main())
