"""Run every benchmark in turn (``make bench``); each prints its numbers and its baseline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["widget_size.py", "chat_latency.py", "search.py"]

if __name__ == "__main__":
    failed = 0
    for script in SCRIPTS:
        print(f"\n=== {script} ===", flush=True)
        failed |= subprocess.call([sys.executable, str(HERE / script)])
    sys.exit(1 if failed else 0)
