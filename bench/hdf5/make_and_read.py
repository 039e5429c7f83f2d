"""The h5py side of bench/hdf5-read.ts (run by /usr/bin/python3 with Debian's python3-h5py).

make OUT N LAYOUT: writes a CODE-15-shaped file of N exams (the fixture's two real exams, shifted and scaled per
exam so that no two rows are equal, and CODE-15's zero-filled last row); LAYOUT is `contiguous` or `gzip`
(chunks of one exam, shuffle + deflate).
read FILE IDS...: reads those exams one at a time as a user of h5py would (open once, index by row from exam_id)
and prints the seconds taken and a checksum (sum of absolute values) to compare with ours.
"""
import json
import sys
import time

import h5py
import numpy as np

if sys.argv[1] == "make":
    out, n, layout = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with h5py.File(sys.argv[5], "r") as f:
        base = f["tracings"][:2]
    options = {"chunks": (1, 4096, 12), "shuffle": True, "compression": "gzip"} if layout == "gzip" else {}
    with h5py.File(out, "w") as f:
        tracings = f.create_dataset("tracings", shape=(n + 1, 4096, 12), dtype="f4", **options)
        for i in range(n):
            tracings[i] = np.roll(base[i % 2], i % 97, axis=0) * (1 + (i % 13) / 10)
        f.create_dataset("exam_id", data=np.array(list(range(1, n + 1)) + [0], dtype=np.int64))
else:
    path, ids = sys.argv[2], [int(x) for x in sys.argv[3:]]
    start = time.perf_counter()
    total = 0.0
    with h5py.File(path, "r") as f:
        row_of = {int(e): r for r, e in enumerate(f["exam_id"][:])}
        tracings = f["tracings"]
        for exam in ids:
            total += float(np.abs(tracings[row_of[exam]]).sum(dtype=np.float64))
    print(json.dumps({"seconds": time.perf_counter() - start, "abs_sum": total}))
