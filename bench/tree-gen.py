#!/usr/bin/env python3
"""Writes a benchmark tree of COUNT files of SIZE bytes of seeded random content (bench/trees.sh).

    bench/tree-gen.py DIR COUNT SIZE [SEED]

Files are spread over two directory levels, ten entries wide (d0/s3/f0031.bin), so a tool has
to create directories as it goes, as in a real dataset or build output. The same arguments
always give the same bytes and names: runs on different days or machines move the same tree.
"""
import os
import random
import sys


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    root, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) == 5 else 21
    rng = random.Random(seed)
    width = len(str(count - 1))
    for i in range(count):
        rel = os.path.join(f"d{i // 100}", f"s{(i // 10) % 10}", f"f{i:0{width}d}.bin")
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(rng.randbytes(size))


if __name__ == "__main__":
    main()
