"""`python -m bench`: run the benchmark sections, print them, rewrite BENCHMARKS.md.

With no flags every section runs and BENCHMARKS.md is regenerated whole. `--sections a,b`
runs only those and keeps the other sections already in the file (each is fenced by
`<!-- bench:NAME -->` markers). `--quick` uses small sizes so the harness can be checked in
a couple of minutes; its figures are not for publishing. `--no-write` only prints.
The full matching run at 10^7 needs about 9 GiB of memory and several minutes.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import machine

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "BENCHMARKS.md"


@dataclass(frozen=True)
class Options:
    quick: bool
    sizes: list[int]
    queries: int
    http_seconds: float | None = None


@dataclass(frozen=True)
class Section:
    """One part of BENCHMARKS.md: `run` measures and returns its Markdown lines."""

    name: str
    run: Callable[[Options], list[str]]


def _matching(opts: Options) -> list[str]:
    from bench import matching

    sizes = [10_000, 100_000] if opts.quick else opts.sizes
    return matching.run(sizes, 200 if opts.quick else opts.queries, set(sizes))


def _hashing(opts: Options) -> list[str]:
    from bench import hashing

    return hashing.lines(opts.quick)


def _cropping(opts: Options) -> list[str]:
    from bench import cropping

    return cropping.run()


def _cropping_robust(opts: Options) -> list[str]:
    from bench import cropping_robust

    return cropping_robust.run(quick=opts.quick).splitlines()


def _index_stall(opts: Options) -> list[str]:
    from bench import index_stall

    return index_stall.run(10**5, 10**4) if opts.quick else index_stall.run(10**6, 10**5)


def _replica_build(opts: Options) -> list[str]:
    from bench import replica_build

    if opts.quick:
        return replica_build.run([10**5], 10**5)
    return replica_build.run([10**6, 10**7], 10**6)


def _fidelity(opts: Options) -> list[str]:
    from bench import fidelity

    return fidelity.run(images=8, videos=2) if opts.quick else fidelity.run()


def _http(opts: Options) -> list[str]:
    from bench import http_load

    return http_load.run(quick=opts.quick, seconds=opts.http_seconds)


def _crowded(opts: Options) -> list[str]:
    from bench import crowded_case

    return crowded_case.run(quick=opts.quick)


def _webhook(opts: Options) -> list[str]:
    from bench import webhook_latency

    return webhook_latency.run(quick=opts.quick)


def _retroscan(opts: Options) -> list[str]:
    from bench import retroscan

    return retroscan.run(quick=opts.quick)


# The order is the order in BENCHMARKS.md. Sections other modules provide (index stall,
# robust cropping, vPDQ against Meta's vpdq) are added here as they land.
SECTIONS: list[Section] = [
    Section("http", _http),
    Section("crowded", _crowded),
    Section("webhook", _webhook),
    Section("matching", _matching),
    Section("index_stall", _index_stall),
    Section("replica_build", _replica_build),
    Section("retroscan", _retroscan),
    Section("hashing", _hashing),
    Section("cropping", _cropping),
    Section("cropping_robust", _cropping_robust),
    Section("fidelity", _fidelity),
]

_FENCE = re.compile(
    r"<!-- bench:(?P<name>[a-z_]+) -->\n(?P<body>.*?)<!-- /bench:(?P=name) -->\n", re.S
)


def stamp(name: str, opts: Options) -> str:
    command = f"python -m bench --sections {name}{' --quick' if opts.quick else ''}"
    if name == "http" and opts.http_seconds:
        command += f" --http-seconds {opts.http_seconds:g}"
    # The CPU too: sections kept from earlier runs may come from another machine.
    return (
        f"_Measured {datetime.date.today().isoformat()} on {machine.cpu_model()}"
        f" (nproc={os.cpu_count()}) with `{command}`; {machine.load_average()}._"
    )


def header(opts: Options) -> list[str]:
    return [
        "# Benchmarks",
        "",
        "Each section is kept from the run that last measured it and opens with its stamp: the"
        " date, the CPU, the command and the machine's load when it began (`python -m bench"
        " --sections a,b` re-measures only those). A section without a stamp, or without a CPU"
        " in it, predates them; this file's history says which run it came from.",
        "",
        f"Machine of the run that last wrote this file: {machine.describe()};"
        f" {machine.load_average()}.",
        "Every figure stands beside a baseline measured in the same run, as a ratio: the"
        " machine's speed cancels out, the ratio is what the numbers claim. Matching, hashing"
        " and scans are one process with an in-memory index (the one-machine layout in"
        " DESIGN.md's scale-out path); docs/scaling.md works the larger layouts out from them.",
        "",
        "How to read it:",
        "",
        "- Matching: `PdqIndex` (src/takedown/signals/index.py) is multi-index hashing in"
        " numpy: 256 bits cut into 11-16 chunks with per-chunk probe radii from the"
        " generalised pigeonhole principle, so it is exact, not approximate. Brute force is"
        " faiss's `IndexBinaryFlat`; threatexchange's `PDQIndex` is faiss's"
        " `IndexBinaryMultiHash` with 16 tables behind its Python wrapper. faiss runs on one"
        " thread (`omp_set_num_threads(1)`), as one request would. Recall is checked against"
        " brute force for every query.",
        '- Hashing: "ours" also computes the eight dihedral PDQ variants that let a mirrored'
        " or rotated upload match, from the same blur kernels applied to the pixels as turned"
        " (signals/pdq_kernel.py); the stored hash is pdqhash's bit for bit (the kernels'"
        " where they are sure of it, pdqhash's where not). Large JPEGs are decoded at reduced"
        " size and given the full-size blur. Ratios are CPU time, contenders interleaved.",
        "- HTTP: the load generator (wrk, one thread) shares the machine's two cores with the"
        " servers; ratios, not req/s, are the claim.",
        "",
    ]


def fenced(name: str, lines: list[str]) -> str:
    body = "\n".join(lines).rstrip("\n") + "\n"
    return f"<!-- bench:{name} -->\n{body}<!-- /bench:{name} -->\n"


def previous_sections(text: str) -> dict[str, str]:
    return {m["name"]: m.group(0) for m in _FENCE.finditer(text)}


def compose(head: list[str], measured: dict[str, str], kept: dict[str, str]) -> str:
    """The whole file: the header, then each section measured now or kept from before."""
    parts = ["\n".join(head) + "\n"]
    for section in SECTIONS:
        block = measured.get(section.name) or kept.get(section.name)
        if block:
            parts.append(block)
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    names = [s.name for s in SECTIONS]
    parser.add_argument(
        "--sections", default=",".join(names), help=f"comma-separated: {','.join(names)}"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the harness")
    parser.add_argument("--sizes", default="1e5,1e6,1e7", help="bank sizes for matching")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument(
        "--http-seconds", type=float, default=None, help="per side per HTTP cell (default 10)"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    chosen = [n.strip() for n in args.sections.split(",") if n.strip()]
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; known: {', '.join(names)}")
    opts = Options(
        quick=args.quick,
        sizes=[int(float(s)) for s in args.sizes.split(",") if s],
        queries=args.queries,
        http_seconds=args.http_seconds,
    )
    measured: dict[str, str] = {}
    for section in SECTIONS:
        if section.name in chosen:
            print(f"[bench] {section.name} ...", file=sys.stderr, flush=True)
            began = stamp(section.name, opts)
            measured[section.name] = fenced(section.name, [began, "", *section.run(opts)])
            print(measured[section.name], flush=True)
    # Every section measured: the file is regenerated whole; otherwise the rest is kept.
    everything = set(chosen) == set(names)
    old = args.output.read_text() if args.output.exists() and not everything else ""
    text = compose(header(opts), measured, previous_sections(old))
    if not args.no_write:
        args.output.write_text(text)
        print(f"[bench] wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
