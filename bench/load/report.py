"""Numbers, verdicts and plots of a `make load` run (``report.html``, ``.md``, ``.json``, PNGs).

Every operation is judged by when it ran. Outside the fault windows it must succeed. Inside a
window (the component stopped, until ``GRACE`` seconds after it answered again: requests in
flight and pooled connections) it may also end with the documented answer for that component
(``DOCUMENTED``, the table of docs/guides/capacity.md); anything else is a failure.
"""

from __future__ import annotations

import html
import json
import os
import statistics
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from authgate.providers.password import default_hash_concurrency

if TYPE_CHECKING:
    import argparse

GRACE = 2.0
WARM_UP = 0.4  # of the run: RSS peaks up to this are the baseline
HASH_MIB = 64  # what one argon2id run holds (docs/guides/capacity.md)
FLOOR_SLACK = 1.25  # of the resting RSS: buffers, connections, bounded caches filling up
FLOOR_GROWTH = 1.5  # the most the resting RSS may grow over the run before it reads as a leak

# What each operation may answer while a component is down (docs/guides/capacity.md).
DOCUMENTED: dict[str, dict[str, set[str]]] = {
    "postgres": {
        # Reads fail closed: no session (the cookie is kept), the API's 401.
        "session": {"no-session"},
        "api": {"status:401"},
        # A clear error and nothing written; a refused attempt still counts for throttling.
        "credentials": {"error:Configuration", "error:Callback", "error:TooManyRequests"},
        "signout": {"error:SignOut"},  # the cookie is kept: try again (compatibility row 90)
        "email": {"send:error:EmailSignin", "click:error:Verification", "click:error:Callback"},
        "oauth": {"callback:error:Callback", "callback:error:OAuthCallback"},
    },
    "redis": {
        # Throttling fails closed (Retry-After: 30); reads do not use Redis.
        "credentials": {"error:TooManyRequests"},
        "email": {"send:error:TooManyRequests"},
    },
    "smtp": {"email": {"send:error:EmailSignin"}},  # the token is removed again
    "idp": {
        # The provider's own pages do not load; authgate's discovery, token or profile call
        # fails with OAuthSignin / OAuthCallback.
        "oauth": {
            "provider:transport:ConnectionError",
            "start:error:OAuthSignin",
            "callback:error:OAuthCallback",
        },
    },
}


# JWT sessions revocable through Redis (``--sessions jwt``): every read asks the store, which
# fails closed (README, "Revocation").
DOCUMENTED_JWT: dict[str, dict[str, set[str]]] = {
    "redis": {
        "session": {"no-session"},
        "api": {"status:401"},
        "signout": {"error:SignOut"},
        "email": {"send:error:TooManyRequests", "no-session"},
        "oauth": {"no-session"},
    },
}


def documented(component: str, op: str, sessions: str) -> set[str]:
    extra = DOCUMENTED_JWT.get(component, {}) if sessions == "jwt" else {}
    return DOCUMENTED[component].get(op, set()) | extra.get(op, set())


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def windows_of(run: Any) -> list[dict[str, Any]]:
    return [
        {
            "component": w.component,
            "start": w.start - run.started,
            "back": (w.back or run.ended) - run.started,
            "until": (w.back or run.ended) + GRACE - run.started,
        }
        for w in run.windows
    ]


def judge(
    record: dict[str, Any], windows: list[dict[str, Any]], started: float, sessions: str
) -> str:
    """``ok``, ``documented`` (a fault's documented answer), ``unexpected`` (outside a window)
    or ``undocumented`` (inside one, with another answer)."""
    if record["outcome"] == "ok":
        return "ok"
    t0, t1 = record["t0"] - started, record["t1"] - started
    inside = [w for w in windows if t0 <= w["until"] and t1 >= w["start"]]
    if not inside:
        return "unexpected"
    for window in inside:
        if record["outcome"] in documented(window["component"], record["op"], sessions):
            return "documented"
    return "undocumented"


def analyse(run: Any, consistency: dict[str, int], options: argparse.Namespace) -> dict[str, Any]:
    windows = windows_of(run)
    duration = max(1e-9, min(run.ended - run.started, options.duration))
    ops: dict[str, dict[str, Any]] = {}
    verdicts: Counter[str] = Counter()
    bad: Counter[tuple[str, str, str]] = Counter()
    by_op: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in run.records:
        by_op[record["op"]].append(record)
        verdict = judge(record, windows, run.started, options.sessions)
        record["verdict"] = verdict
        verdicts[verdict] += 1
        if verdict in ("unexpected", "undocumented"):
            bad[(verdict, record["op"], record["outcome"])] += 1
    for op, records in sorted(by_op.items()):
        latencies = [(r["t1"] - r["t0"]) * 1000 for r in records if r["outcome"] == "ok"]
        errors = Counter(r["outcome"] for r in records if r["outcome"] != "ok")
        ops[op] = {
            "count": len(records),
            "ok": len(latencies),
            "per_second": len(latencies) / duration,
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99),
            "errors": dict(errors),
            "documented": sum(r["verdict"] == "documented" for r in records),
        }
    workers = worker_stats(run, options)
    processes = len(workers)
    cores = min(processes, os.cpu_count() or 1)
    app_cpu = sum(w["cpu_seconds"] for w in workers.values())
    reads = ops.get("session", {}).get("per_second", 0.0)
    sign_ins = ops.get("credentials", {}).get("per_second", 0.0)
    rss_ok = all(w["rss_within_budget"] for w in workers.values())
    passed = (
        not bad
        and not any(consistency.values())
        and (rss_ok or not options.check_rss)
        and bool(run.records)
    )
    return {
        "workers_per_instance": run.workers,
        "sessions": options.sessions,
        "processes": processes,
        "cores_used": cores,
        "duration_s": duration,
        "load_average": os.getloadavg(),
        "ops": ops,
        "verdicts": dict(verdicts),
        "failures": [
            {"verdict": v, "op": op, "outcome": o, "count": n} for (v, op, o), n in bad.items()
        ],
        "windows": windows,
        "consistency": consistency,
        "workers": workers,
        "rss_ok": rss_ok,
        "session_reads_per_s": reads,
        "session_reads_per_s_per_core": reads / cores if cores else 0.0,
        "session_reads_per_app_cpu_s": reads * duration / app_cpu if app_cpu else 0.0,
        "credential_sign_ins_per_s_per_core": sign_ins / cores if cores else 0.0,
        "session_p99_ms": ops.get("session", {}).get("p99_ms", float("nan")),
        "passed": passed,
    }


def worker_stats(run: Any, options: argparse.Namespace) -> dict[str, dict[str, Any]]:
    series: dict[str, list[Any]] = defaultdict(list)
    for sample in run.samples:
        if sample.name.startswith("app"):
            series[sample.name].append(sample)
    early = (run.started + 0.1 * options.duration, run.started + WARM_UP * options.duration)
    late = run.started + 0.7 * options.duration
    found = {}
    for name, samples in sorted(series.items()):
        # Peaks, not levels: argon2 takes 64 MiB per verification in flight, so RSS follows
        # the sign-ins under way. Growth without bound shows as the late peak over the early.
        first = [s.rss for s in samples if early[0] <= s.t <= early[1]] or [samples[0].rss]
        last = [s.rss for s in samples if s.t >= late] or [samples[-1].rss]
        baseline = max(first)
        # The resting level (no hash in flight) is the floor: a leak lifts it, peaks do not.
        floor_early, floor_late = min(first), min(last)
        hours = (0.85 - (WARM_UP + 0.1) / 2) * options.duration / 3600
        # Documented budget: the resting level plus every argon2 run the process allows at
        # once (authgate.passwords' bound). Peaks vary with the sign-ins in flight when
        # sampled, so they are held to that, and the floor to a bounded growth.
        budget = FLOOR_SLACK * floor_early + default_hash_concurrency() * HASH_MIB * 2**20
        interval = (samples[-1].t - samples[0].t) / max(1, len(samples) - 1)
        found[name] = {
            "cpu_mean_percent": statistics.fmean(s.cpu for s in samples),
            "cpu_seconds": sum(s.cpu for s in samples) / 100 * interval,
            "rss_baseline_mib": baseline / 2**20,
            "rss_max_mib": max(last) / 2**20,
            "rss_last_mib": samples[-1].rss / 2**20,
            "rss_ratio": max(last) / baseline if baseline else 1.0,
            "rss_floor_early_mib": floor_early / 2**20,
            "rss_floor_late_mib": floor_late / 2**20,
            "rss_floor_drift_mib_per_hour": (floor_late - floor_early) / 2**20 / hours,
            "rss_budget_mib": budget / 2**20,
            "rss_within_budget": max(last) <= budget and floor_late <= FLOOR_GROWTH * floor_early,
        }
    return found


# ---- writing ------------------------------------------------------------------------------


def plot(run: Any, result: dict[str, Any], path: Any) -> None:
    fig, axes = plt.subplots(5, 1, figsize=(11, 15), sharex=True)
    t_end = run.ended - run.started
    bins = max(1, int(t_end))
    by_op: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, list[float]] = defaultdict(list)
    session_latency: list[tuple[float, float]] = []
    for record in run.records:
        t = record["t1"] - run.started
        if record["outcome"] == "ok":
            by_op[record["op"]].append(t)
            if record["op"] == "session":
                session_latency.append((record["t0"] - run.started, record["t1"] - record["t0"]))
        else:
            failures[f"{record['op']} {record['outcome']} ({record['verdict']})"].append(t)
    for op, times in sorted(by_op.items()):
        axes[0].hist(times, bins=bins, range=(0, t_end), histtype="step", label=op)
    axes[0].set_ylabel("succeeded / s")
    axes[0].set_yscale("log")
    axes[0].legend(loc="upper right", fontsize="small", ncol=3)
    axes[0].set_title(
        f"{run.workers} uvicorn worker(s) x 2 instances behind nginx: operations per second"
    )
    for label, times in sorted(failures.items()):
        axes[1].hist(times, bins=bins, range=(0, t_end), histtype="step", label=label)
    axes[1].set_ylabel("failed / s")
    if failures:
        axes[1].legend(loc="upper right", fontsize="x-small")
    step = 2.0
    buckets: dict[int, list[float]] = defaultdict(list)
    for t, latency in session_latency:
        buckets[int(t // step)].append(latency * 1000)
    xs = [(k + 0.5) * step for k in sorted(buckets)]
    for q, style in ((50, "-"), (95, "--"), (99, ":")):
        ys = [percentile(buckets[k], q) for k in sorted(buckets)]
        axes[2].plot(xs, ys, style, label=f"p{q}")
    axes[2].set_ylabel("session read (ms)")
    axes[2].set_yscale("log")
    axes[2].legend(loc="upper right", fontsize="small")
    series: dict[str, list[Any]] = defaultdict(list)
    for sample in run.samples:
        series[sample.name].append(sample)
    for name, samples in sorted(series.items()):
        ts = [s.t - run.started for s in samples]
        axes[3].plot(ts, [s.cpu for s in samples], label=name, linewidth=0.8)
        axes[4].plot(ts, [s.rss / 2**20 for s in samples], label=name, linewidth=0.8)
    axes[3].set_ylabel("CPU (% of a core)")
    axes[4].set_ylabel("RSS (MiB)")
    axes[4].set_xlabel("seconds since the load started")
    axes[3].legend(loc="upper right", fontsize="x-small", ncol=3)
    for axis in axes:
        for window in result["windows"]:
            axis.axvspan(window["start"], window["back"], color="red", alpha=0.12)
            axis.axvspan(window["back"], window["until"], color="orange", alpha=0.10)
    for window in result["windows"]:
        axes[0].text(window["start"], 1, f" {window['component']} down", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def markdown(results: list[dict[str, Any]]) -> str:
    lines = []
    for result in results:
        lines += [
            f"## {result['sessions']} sessions, {result['workers_per_instance']} worker(s) "
            "per instance "
            f"({result['processes']} app processes): "
            + ("PASSED" if result["passed"] else "FAILED"),
            "",
            f"{result['duration_s']:.0f} s; load average at the end "
            + ", ".join(f"{x:.1f}" for x in result["load_average"])
            + f" on {os.cpu_count()} cores (a shared machine: the numbers are noisy).",
            "",
            "| operation | count | ok/s | p50 ms | p95 ms | p99 ms | errors (documented) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for op, s in result["ops"].items():
            errors = ", ".join(f"{k} x{v}" for k, v in sorted(s["errors"].items())) or "-"
            lines.append(
                f"| {op} | {s['count']} | {s['per_second']:.1f} | {s['p50_ms']:.1f} | "
                f"{s['p95_ms']:.1f} | {s['p99_ms']:.1f} | {errors} ({s['documented']}) |"
            )
        lines += [
            "",
            f"- session reads/s: {result['session_reads_per_s']:.1f}; per core "
            f"({result['cores_used']} used): {result['session_reads_per_s_per_core']:.1f}; per "
            f"CPU-second of the app workers: {result['session_reads_per_app_cpu_s']:.1f}",
            f"- credential sign-ins/s per core: {result['credential_sign_ins_per_s_per_core']:.2f}",
            f"- session read p99 under the mix: {result['session_p99_ms']:.1f} ms",
        ]
        for window in result["windows"]:
            lines.append(
                f"- fault: {window['component']} down {window['start']:.1f}-"
                f"{window['back']:.1f} s (judged until {window['until']:.1f} s)"
            )
        for failure in result["failures"]:
            lines.append(
                f"- **{failure['verdict']}**: {failure['op']} → {failure['outcome']} "
                f"x{failure['count']}"
            )
        broken = {k: v for k, v in result["consistency"].items() if v}
        lines.append(
            "- database consistency: "
            + ("all checks pass" if not broken else f"**FAILED** {broken}")
        )
        for name, w in result["workers"].items():
            lines.append(
                f"- {name}: CPU {w['cpu_mean_percent']:.0f} % mean, RSS "
                f"{w['rss_baseline_mib']:.0f} → max {w['rss_max_mib']:.0f} MiB "
                f"(x{w['rss_ratio']:.2f}, budget {w['rss_budget_mib']:.0f}); resting "
                f"{w['rss_floor_early_mib']:.0f} → "
                f"{w['rss_floor_late_mib']:.0f} MiB "
                f"({w['rss_floor_drift_mib_per_hour']:+.1f} MiB/h)"
            )
        lines.append("")
    if len(results) > 1:
        base = results[0]["session_reads_per_s_per_core"] or 1.0
        lines += [
            "## Scaling (session reads)",
            "",
            "| workers per instance | app processes | reads/s | reads/s per core | "
            "efficiency | reads per app CPU-second |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in results:
            lines.append(
                f"| {r['workers_per_instance']} | {r['processes']} | "
                f"{r['session_reads_per_s']:.0f} | {r['session_reads_per_s_per_core']:.0f} | "
                f"{r['session_reads_per_s_per_core'] / base:.0%} | "
                f"{r['session_reads_per_app_cpu_s']:.0f} |"
            )
        lines.append("")
    return "\n".join(lines)


def write_report(
    results: list[dict[str, Any]], runs: list[Any], options: argparse.Namespace
) -> str:
    out = options.out
    images = []
    for result, (run, _) in zip(results, runs, strict=True):
        name = f"load-{run.workers}w.png"
        plot(run, result, out / name)
        images.append(name)
    summary = "# authgate load report\n\n" + markdown(results)
    (out / "report.md").write_text(summary)
    (out / "report.json").write_text(json.dumps(results, indent=2, default=str))
    body = "".join(
        f'<p><img src="{html.escape(name)}" style="max-width:100%"></p>' for name in images
    )
    page = (
        "<!doctype html><meta charset=utf-8><title>authgate load report</title>"
        "<style>body{font:14px sans-serif;max-width:1100px;margin:auto}"
        "pre{white-space:pre-wrap}</style>"
        f"<pre>{html.escape(summary)}</pre>{body}"
    )
    (out / "report.html").write_text(page)
    return summary
