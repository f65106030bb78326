"""`python -m bench [--write] [--sizes 1e5,1e6,1e7]`: run every benchmark, print Markdown.

With --write the output replaces BENCHMARKS.md at the repository root. The 10^7 run needs
about 8 GiB of memory and several minutes (threatexchange's index is the slow part).
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

from bench import cropping, fidelity, hashing, machine, matching

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite BENCHMARKS.md")
    parser.add_argument("--sizes", default="1e5,1e6,1e7", help="bank sizes for matching")
    parser.add_argument("--pytx-sizes", default="1e5,1e6,1e7")
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    header = [
        "# Benchmarks",
        "",
        f"Measured with `python -m bench` on {datetime.date.today().isoformat()}.",
        "",
        f"Machine: {machine.describe()}; {machine.load_average()}.",
        "All figures are for one process with an in-memory index (the one-machine layout in"
        " DESIGN.md's scale-out path); each process of a scaled-out deployment holds such a"
        " replica.",
        "",
        "How to read it:",
        "",
        "- Matching: `PdqIndex` (src/takedown/signals/index.py) is multi-index hashing in"
        " numpy: 256 bits cut into 11-16 chunks with per-chunk probe radii from the"
        " generalised pigeonhole principle, so it is exact, not approximate. Brute force is"
        " faiss's `IndexBinaryFlat`; threatexchange's `PDQIndex` is faiss's"
        " `IndexBinaryMultiHash` with 16 tables behind its Python wrapper. faiss runs on one"
        " thread (`omp_set_num_threads(1)`), as one request would; the Python call overhead of"
        " each method is included. Recall is checked against brute force for every query.",
        '- Hashing: "ours" also computes the eight dihedral PDQ variants that let a mirrored'
        " or rotated upload match, from the same blur kernels applied to the pixels as turned"
        " (signals/pdq_kernel.py: exact, where pdqhash's DCT-domain variants drift up to 30"
        " bits). Large JPEGs are decoded at reduced size and given the full-size blur.",
        "- Cropping: plain PDQ, as issue #3 expects, loses a match after a few percent.",
        "",
    ]
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    pytx_sizes = {int(float(s)) for s in args.pytx_sizes.split(",") if s}
    body = (
        matching.run(sizes, args.queries, pytx_sizes)
        + hashing.lines()
        + cropping.run()
        + fidelity.run()
    )
    text = "\n".join(header + body)
    print(text)
    if args.write:
        (ROOT / "BENCHMARKS.md").write_text(text)


if __name__ == "__main__":
    main()
