"""bench/bindings.py — one read_text of a 4 KiB hot file in-process (ax_vfs) beside spawning
`ax cat` for the same file, in one run.

    maturin build --release -m bindings/python/Cargo.toml -o /tmp/wheel
    python -m venv /tmp/v && /tmp/v/bin/pip install /tmp/wheel/*.whl
    /tmp/v/bin/python bench/bindings.py [path/to/release/ax]
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit

import ax_vfs as ax

AX = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/ax")

with tempfile.TemporaryDirectory() as d:
    os.makedirs(f"{d}/scratch")
    with open(f"{d}/scratch/f4k.txt", "w") as f:
        f.write(("0123456789abcdef" * 4 + "\n") * 63 + "x" * 1)
    with open(f"{d}/ax.yaml", "w") as f:
        f.write(f"mounts:\n  - path: /scratch\n    tier: hot\n    root: {d}/scratch\n")
    vfs = ax.load_config_file(f"{d}/ax.yaml")
    text = vfs.read_text("/scratch/f4k.txt")
    n = 20000
    runs = [timeit.timeit(lambda: vfs.read_text("/scratch/f4k.txt"), number=n) / n * 1e6 for _ in range(5)]
    spawned = []
    for _ in range(50):
        t = time.perf_counter()
        out = subprocess.run([AX, "--config", f"{d}/ax.yaml", "cat", "/scratch/f4k.txt"],
                             capture_output=True, check=True).stdout.decode()
        spawned.append((time.perf_counter() - t) * 1e6)
        assert out == text
    print(f"read {len(text)} bytes: ax_vfs read_text median {statistics.median(runs):.1f} µs "
          f"(5 × {n} calls); spawned `ax cat` median {statistics.median(spawned):.0f} µs (50 runs)")
