#!/usr/bin/env python3
"""Markdown table of the criterion results of `benches/runtimes.rs`.

Reads target/criterion/<group>/**/new/{benchmark,estimates}.json (or the
directory given as the first argument) and prints, per workload, the median
time of ours / reference / floor and the ratio reference / ours, then how
each target of issue 3 fares.

    python3 bench/report.py [bench/target/criterion]
"""
import json
import os
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "target", "criterion")

GROUPS = {
    "1_cold_create": "cold plug-in creation (count_vowels, from bytes)",
    "2_noop_call": "no-op call",
    "3_reflect": "reflect",
    "4_host_roundtrip": "host round trip, per trip",
    "5_bare_host_call": "bare host call (i64→i64), per call",
    "6_instance": "instance from compiled plug-in",
    "7_instance_alloc": "instance from compiled plug-in (iter_custom)",
    "8_pool_reflect_1KiB": "Pool checkout + reflect 1 KiB, wall time per call",
    "9_host_fn_roundtrip": "host round trip via host fn, per trip",
    "10_typed_call": "typed call vs call_bytes",
    "11_limits_noop": "limits",
}
# Variant function ids (`ours_<v>`, `reference_<v>`), besides the ones
# handled explicitly below: printed as extra rows, each against
# `reference_<v>` when it exists, else against `reference`.
VARIANT_LABELS = {
    "pooling": "ours with the pooling allocator",
    "host_fn": "`#[host_fn] fn echo(&[u8]) -> &[u8]`",
    "host_fn_owned": "`#[host_fn] fn echo(&[u8]) -> Vec<u8>`",
    "typed": "typed `call::<&[u8], &[u8]>`",
    "typed_string": "typed `call::<&str, String>` (both runtimes)",
    "limits": "`timeout_ms` + `max_pages` (both runtimes)",
    "timeout": "`timeout_ms` only (both runtimes)",
    "max_pages": "`max_pages` only (both runtimes)",
    "fuel": "fuel limit (both runtimes; ours on a fuel engine)",
}
VALUE_ORDER = ["1KiB", "64KiB", "1MiB", "N=10", "N=1000", "create+call", "drop",
               "1thread", "2thread", "noop", "reflect 1KiB", "reflect 64KiB"]


def load():
    results = defaultdict(dict)  # (group, value) -> {function: (ns, throughput)}
    for dirpath, _dirs, files in os.walk(ROOT):
        if os.path.basename(dirpath) != "new" or "estimates.json" not in files:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            est = json.load(f)
        group = bench["group_id"]
        function = bench.get("function_id") or ""
        value = bench.get("value_str") or ""
        ns = est["median"]["point_estimate"]
        results[(group, value)][function] = (ns, bench.get("throughput"))
    return results


def fmt_time(ns):
    if ns is None:
        return "—"
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def fmt_cell(entry):
    if entry is None:
        return "—"
    ns, throughput = entry
    text = fmt_time(ns)
    if throughput and "Bytes" in throughput:
        gib_s = throughput["Bytes"] / (ns / 1e9) / (1 << 30)
        text += f" ({gib_s:.2f} GiB/s)"
    return text


def ratio(ref, ours):
    if ref is None or ours is None:
        return "—"
    x = ref[0] / ours[0]
    return f"{x:.1f}×" if x >= 0.1 else f"{x:.3f}×"


def sort_key(item):
    (group, value), _ = item
    num = group.split("_", 1)[0]
    group = (int(num) if num.isdigit() else 99, group)
    order = VALUE_ORDER.index(value) if value in VALUE_ORDER else len(VALUE_ORDER)
    return (group, order, value)


def main():
    results = load()
    if not results:
        sys.exit(f"no criterion results under {ROOT}")
    print("| workload | ours | reference | floor | ratio ref/ours |")
    print("|---|---|---|---|---|")
    for (group, value), fns in sorted(results.items(), key=sort_key):
        name = GROUPS.get(group, group) + (f", {value}" if value else "")
        ours, ref, floor = fns.get("ours"), fns.get("reference"), fns.get("floor")
        print(f"| {name} | {fmt_cell(ours)} | {fmt_cell(ref)} | {fmt_cell(floor)} | {ratio(ref, ours)} |")
        if "ours_raw" in fns:
            raw = fns["ours_raw"]
            print(f"| {name} — ours with raw-stack `HostFunction::new` | {fmt_cell(raw)} | {fmt_cell(ref)} | {fmt_cell(floor)} | {ratio(ref, raw)} |")
        if "reference_nocache" in fns:
            nc = fns["reference_nocache"]
            print(f"| {name} — reference with compile cache disabled | {fmt_cell(ours)} | {fmt_cell(nc)} | {fmt_cell(floor)} | {ratio(nc, ours)} |")
        for fn in sorted(fns):
            if not fn.startswith("ours_") or fn == "ours_raw":
                continue
            v = fn[len("ours_"):]
            r = fns.get(f"reference_{v}", ref)
            label = VARIANT_LABELS.get(v, fn)
            print(f"| {name} — {label} | {fmt_cell(fns[fn])} | {fmt_cell(r)} | {fmt_cell(floor)} | {ratio(r, fns[fn])} |")
        if group.startswith("8_"):
            cps = lambda e: "—" if e is None else f"{1e9 / e[0]:,.0f} calls/s"
            print(f"| {name} — as calls/s | {cps(ours)} | {cps(ref)} | — | {ratio(ref, ours)} |")

    def get(group, value, fn):
        e = results.get((group, value), {}).get(fn)
        return e[0] if e else None

    print()
    print("Targets (issue 3):")
    checks = []

    def speedup(group, value, want, label, ref_fn="reference"):
        o, r = get(group, value, "ours"), get(group, value, ref_fn)
        if o is None or r is None:
            checks.append(f"- {label}: not measured")
            return
        ok = r / o >= want
        checks.append(f"- {label}: {r / o:.1f}× (want ≥{want}×) {'MET' if ok else 'MISSED'}")

    speedup("2_noop_call", "", 10, "no-op call ≥10× faster")
    speedup("4_host_roundtrip", "N=10", 10, "host round trip N=10 ≥10× faster")
    speedup("4_host_roundtrip", "N=1000", 10, "host round trip N=1000 ≥10× faster")
    a, b = get("4_host_roundtrip", "N=10", "ours"), get("4_host_roundtrip", "N=1000", "ours")
    if a and b:
        flat = b / a
        # Per-trip time at N=10 carries a tenth of the call's fixed cost, so
        # "flat" allows N=1000 to be at most 1.5× the N=10 figure.
        checks.append(f"- host round trip flat in N: N=1000/N=10 per trip = {flat:.2f} {'MET' if flat <= 1.5 else 'MISSED'}")
    speedup("1_cold_create", "", 3, "cold creation ≥3× faster (reference, default cache)")
    speedup("1_cold_create", "", 3, "cold creation ≥3× faster (reference, cache disabled)", "reference_nocache")
    for v in ["1KiB", "64KiB", "1MiB"]:
        speedup("3_reflect", v, 1, f"reflect {v} at least as fast")
    print("\n".join(checks))


if __name__ == "__main__":
    main()
