"""`python scripts/demo.py [--weights DIR] [--out DIR]`: see ltx_serve/endpoints/demo.py."""

import sys

from ltx_serve.endpoints.demo import main

if __name__ == "__main__":
    sys.exit(main())
