#!/usr/bin/env python3
"""Runs a command and prints its peak resident set size, measured from outside by the kernel
(getrusage of the child), as `peak_rss_bytes=N` on stderr; exits with the command's code.

Usage: Scripts/peak-rss.py COMMAND [ARGS...]
"""
import resource
import subprocess
import sys

if len(sys.argv) < 2:
    sys.exit(__doc__)
code = subprocess.call(sys.argv[1:])
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: KiB
print(f"peak_rss_bytes={peak_kib * 1024}", file=sys.stderr)
sys.exit(code)
