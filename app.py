#!/usr/bin/env python3
"""Round Robin: `python app.py` runs the app; `python app.py --help` lists the other commands."""

import sys

from roundrobin.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
