"""Tables (Markdown, for BENCHMARKS.md) and plots (PNG, into bench/plots/) from
the JSON the benchmark scripts write:

    scripts/bench-coldstart.sh -> .cache/bench/coldstart.json
    scripts/bench-load.sh      -> .cache/bench/load.json
    scripts/package.sh         -> .cache/bench/package.json (RESULT_FILE)

Run with the bench venv (matplotlib): .cache/venv-bench/bin/python bench/report.py
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, ".cache", "bench")
PLOTS = os.path.join(ROOT, "bench", "plots")
REFERENCE = "python-fastapi-spacy"
REFERENCE_NER = "python-fastapi-spacy-ner"
# Goals: first response of a cold start (issue 8; entities: issue 21), entities' memory (issue 21).
COLD_START_GOAL_MS = {"health": 20, "cafe": 20, "predict": 20, "entities": 80}
MEMORY_GOAL_MIB = 64


def load(name):
    path = os.path.join(RESULTS, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def coldstart(results, title="Cold starts", plot="coldstart.png"):
    print(f"### {title}\n")
    print("| function | first response, median | p90 | min - max | init (to first poll), median | peak RSS | goal |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        goal = COLD_START_GOAL_MS.get(r["name"])
        verdict = ""
        if goal:
            met = r["first_response_ms"]["median"] < goal
            verdict = f"< {goal} ms: {'met' if met else 'NOT met'}"
        f = r["first_response_ms"]
        print(f"| {r['name']} | {f['median']:.1f} ms | {f['p90']:.1f} ms | {f['min']:.1f} - {f['max']:.1f} ms "
              f"| {r['init_ms']['median']:.1f} ms | {r['peak_rss_mib']['median']:.1f} MiB | {verdict} |")
    print()
    names = [r["name"] for r in results]
    medians = [r["first_response_ms"]["median"] for r in results]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.5))
    colours = ["#c44e52" if n.startswith(REFERENCE) else "#4c72b0" for n in names]
    ax.barh(names, medians, color=colours)
    for i, v in enumerate(medians):
        ax.text(v * 1.05, i, f"{v:.1f} ms", va="center", fontsize=8)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("process start to first response, median (ms, log scale)")
    ax.set_title(f"{title} through the Lambda runtime API (Rust blue, Python red)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(PLOTS, plot), dpi=110)
    plt.close(fig)


def scenario_table(data, title):
    print(f"### {title} (commit `{data['commit']}`: {data['duration']} per scenario, "
          f"{data['connections']} connections, {data['instances']} instances per function)\n")
    print("| scenario | requests | throughput | p50 | p90 | p99 | max | errors (non-2xx + socket) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in data["scenarios"]:
        print(f"| {r['name']} | {r['requests']:,} | {r['rps']:,.0f} req/s | {r['p50_ms']:.2f} ms | {r['p90_ms']:.2f} ms "
              f"| {r['p99_ms']:.2f} ms | {r['max_ms']:.1f} ms | {r['non_2xx'] + r['socket_errors']} |")
    print()


def memory_table(data):
    print("| process | instances | peak RSS under load |")
    print("| --- | --- | --- |")
    for m in data["memory"]:
        print(f"| {m['process']} | {m['instances']} | {m['peak_rss_kib'] / 1024:.1f} MiB |")
    print()


def load_table(data, title):
    scenario_table(data, title)
    memory_table(data)


def entities_vs_references(by_name, references, rust_name, rust_label):
    """POST /entities (one Rust variant) against both Python references, with issue 21's goals."""
    rows = []
    for tokens in ("15", "120", "420"):
        rust = by_name.get(f"{rust_name}, {tokens} tokens")
        for ref, label in references:
            python = by_name.get(f"{ref} POST /entities, {tokens} tokens")
            if rust and python:
                rows.append((tokens, label, rust, python))
    if not rows:
        return
    print(f"Rust `POST /entities` at the {rust_label}:\n")
    # Issue 21's goals: p50 <= 0.25x, p99 <= 0.5x, throughput >= 4x, against both references.
    print("| text (tokens) | reference | Rust p50 | reference p50 | p50 ratio (goal <= 0.25) | Rust p99 | reference p99 "
          "| p99 ratio (goal <= 0.5) | throughput ratio (goal >= 4) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for tokens, label, rust, python in rows:
        p50, p99, rps = rust["p50_ms"] / python["p50_ms"], rust["p99_ms"] / python["p99_ms"], rust["rps"] / python["rps"]
        mark = lambda ok: "met" if ok else "NOT met"  # noqa: E731
        print(f"| {tokens} | {label} | {rust['p50_ms']:.2f} ms | {python['p50_ms']:.2f} ms | {p50:.2f} x ({mark(p50 <= 0.25)}) "
              f"| {rust['p99_ms']:.2f} ms | {python['p99_ms']:.2f} ms | {p99:.2f} x ({mark(p99 <= 0.5)}) "
              f"| {rps:.2f} x ({mark(rps >= 4)}) |")
    print()
    texts = sorted({r[0] for r in rows}, key=int)
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.27
    series = [(f"Rust entities, {rust_label}", "#4c72b0", lambda t: next(r[2] for r in rows if r[0] == t))]
    for (ref, label), colour in zip(references, ("#c44e52", "#dd8452")):
        if any(r[1] == label for r in rows):
            series.append((f"FastAPI + {label}", colour,
                           lambda t, label=label: next(r[3] for r in rows if r[0] == t and r[1] == label)))
    for i, (label, colour, pick) in enumerate(series):
        xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(texts))]
        p50s = [pick(t)["p50_ms"] for t in texts]
        ax.bar(xs, p50s, width, label=f"{label} (p50)", color=colour)
        ax.errorbar(xs, p50s, yerr=[[0] * len(texts), [pick(t)["p99_ms"] - pick(t)["p50_ms"] for t in texts]],
                    fmt="none", ecolor="black", capsize=3)
    ax.set_xticks(list(range(len(texts))), [f"{t} tokens" for t in texts])
    ax.set_ylabel("latency under load (ms; bar p50, whisker p99)")
    ax.set_title("POST /entities under load: Rust function vs Python references")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(PLOTS, f"entities-load-{rust_label.split()[-1].strip('()')}.png"), dpi=110)
    plt.close(fig)


def hostile_vs_plain(by_name):
    """Issue 17's goal: the worst recognizers a request may bring cost at most 2x the plain request."""
    rows = []
    for size, plain_prefix in (("sm", "entities POST /entities"),
                               ("lg", "entities-lg POST /entities (model_size lg)")):
        for tokens in (15, 120, 420):
            plain = by_name.get(f"{plain_prefix}, {tokens} tokens")
            for variant in ("deny_list", "two_patterns", "sixteen_patterns"):
                hostile = by_name.get(f"entities-hostile {variant} POST /entities (model_size {size}), {tokens} tokens")
                if plain and hostile:
                    rows.append((size, tokens, variant, plain, hostile))
    # The same recognizers under a new name each request: the compiled-set
    # cache never hits, so these pay the first-use compilation.
    for tokens in (15, 120, 420):
        plain = by_name.get(f"entities POST /entities, {tokens} tokens")
        for variant in ("deny_list", "two_patterns", "sixteen_patterns", "new_unicode_classes"):
            fresh = by_name.get(f"entities-hostile-fresh {variant} POST /entities (new recognizers each request), "
                                f"{tokens} tokens")
            if plain and fresh:
                rows.append(("sm, first use", tokens, variant, plain, fresh))
    if not rows:
        return
    print("Hostile recognizers (bench/entities/hostile.json) against the same request without them, same run "
          "(goal: at most 2x):\n")
    print("| size | tokens | recognizers | plain p50 ms | with p50 ms | p50 ratio | plain p99 ms | with p99 ms | p99 ratio | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size, tokens, variant, plain, hostile in rows:
        r50 = hostile["p50_ms"] / plain["p50_ms"]
        r99 = hostile["p99_ms"] / plain["p99_ms"]
        print(f"| {size} | {tokens} | {variant.replace('_', ' ')} | {plain['p50_ms']:.2f} | {hostile['p50_ms']:.2f} | "
              f"{r50:.2f}{'' if r50 <= 2 else ' (over 2x)'} | {plain['p99_ms']:.2f} | {hostile['p99_ms']:.2f} | "
              f"{r99:.2f} | {hostile['non_2xx'] + hostile['socket_errors']} |")
    print()


def batch_vs_single(by_name):
    """Issue 16's goal: a batch of 64 texts costs at most 1.1x the 64 texts sent one by one."""
    rows = []
    for size, single_name in (("sm", "entities POST /entities, 15 tokens"),
                              ("lg", "entities-lg POST /entities (model_size lg), 15 tokens")):
        batch = by_name.get(f"entities-batch64 POST /entities (64 texts of 15 tokens, model_size {size})")
        single = by_name.get(single_name)
        if batch and single:
            rows.append((size, batch, single))
    if not rows:
        return
    print("A batch of 64 texts of 15 tokens against the same 64 sent one by one on one connection, same run "
          "(goal: at most 1.1x):\n")
    print("| size | one request p50 ms | 64 one by one (64 x p50) ms | batch p50 ms | ratio | batch errors |")
    print("|---|---|---|---|---|---|")
    for size, batch, single in rows:
        one_by_one = 64 * single["p50_ms"]
        ratio = batch["p50_ms"] / one_by_one
        print(f"| {size} | {single['p50_ms']:.2f} | {one_by_one:.1f} | {batch['p50_ms']:.1f} | "
              f"{ratio:.2f}{'' if ratio <= 1.1 else ' (over 1.1x)'} | {batch['non_2xx'] + batch['socket_errors']} |")
    print()


def load_runs(data):
    scenario_table(data, "Load runs")
    by_name = {r["name"]: r for r in data["scenarios"]}
    references = [(REFERENCE, "spaCy full pipeline"), (REFERENCE_NER, "spaCy NER only")]
    for rust_name, rust_label in (("entities POST /entities", "default size (sm)"),
                                  ("entities-lg POST /entities (model_size lg)", "model_size lg")):
        entities_vs_references(by_name, references, rust_name, rust_label)
    hostile_vs_plain(by_name)
    batch_vs_single(by_name)

    fig, ax = plt.subplots(figsize=(9, 0.45 * len(data["scenarios"]) + 1.5))
    names = [r["name"] for r in data["scenarios"]]
    for key, colour in (("p99_ms", "#dd8452"), ("p90_ms", "#55a868"), ("p50_ms", "#4c72b0")):
        ax.barh(names, [r[key] for r in data["scenarios"]], color=colour, label=key.split("_")[0])
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_title("Warm latency under load, every scenario")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(PLOTS, "load-latency.png"), dpi=110)
    plt.close(fig)

    memory_table(data)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    labels = [m["process"].split(" ")[0] for m in data["memory"]]
    values = [m["peak_rss_kib"] / 1024 for m in data["memory"]]
    ax.barh(labels, values, color=["#c44e52" if l.startswith(REFERENCE) else "#4c72b0" for l in labels])
    ax.axvline(MEMORY_GOAL_MIB, color="black", linestyle="--", linewidth=1, label=f"entities goal: {MEMORY_GOAL_MIB} MiB")
    ax.invert_yaxis()
    ax.set_xlabel("peak RSS of the largest instance under load (MiB)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(PLOTS, "memory.png"), dpi=110)
    plt.close(fig)


def package(data):
    print("### Package sizes (arm64)\n")
    print("| function | zipped | unzipped | with the models layer |")
    print("| --- | --- | --- | --- |")
    mib = 1024 * 1024
    for r in data["functions"]:
        print(f"| {r['function']} | {r['zipped'] / mib:.2f} MiB | {r['unzipped'] / mib:.2f} MiB "
              f"| {r['unzipped_with_layers'] / mib:.2f} MiB |")
    layer = data["models_layer"]
    print(f"| models layer | {layer['zipped'] / mib:.2f} MiB | {layer['unzipped'] / mib:.2f} MiB | |\n")


def main():
    os.makedirs(PLOTS, exist_ok=True)
    found = False
    one_core = lambda data: coldstart(data, "Cold starts pinned to one core", "coldstart-1cpu.png")
    for name, render in (("package.json", package), ("coldstart.json", coldstart),
                         ("coldstart-1cpu.json", one_core), ("load.json", load_runs),
                         ("load-concurrent.json", lambda d: load_table(d, "Load runs with concurrency"))):
        data = load(name)
        if data is not None:
            render(data)
            found = True
    if not found:
        sys.exit(f"no results under {RESULTS}: run the bench scripts first")


if __name__ == "__main__":
    main()
