"""Medians, ratios and the targets, written as JSON, a markdown table and a PNG chart."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from servers import LOGGED

METRICS = (
    "cpu_us_per_request",
    "requests_per_second",
    "p50_ms",
    "p99_ms",
    "start_seconds",
    "rss_mib",
    "wall_ms",
    "peak_rss_mib",
)
PROBE, FLOOR = "petsage probe", "urllib GET"


def summarise(samples: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    """The median of every metric, per contender."""
    return {
        name: {m: statistics.median(s[m] for s in rounds) for m in METRICS if m in rounds[0]}
        for name, rounds in samples.items()
        if rounds
    }


def _peer_of(name: str) -> str:
    # The FastAPI peer in the same logging state as ``name``.
    return "fastapi" + LOGGED if name.endswith(LOGGED) else "fastapi"


def targets(
    medians: dict[str, dict[str, float]], probe: dict[str, dict[str, float]] | None = None
) -> list[dict[str, Any]]:
    """The issue's targets (both logging quiet, as PetSage runs by default), each with the
    measured ratio and whether it is met."""
    ps, peer, raw = medians["petsage"], medians["fastapi"], medians["raw"]
    rows = [
        ("throughput >= 1.25x the FastAPI peer", ps, peer, "requests_per_second", 1.25, True),
        ("throughput >= 0.5x raw ASGI", ps, raw, "requests_per_second", 0.5, True),
        ("CPU per request <= 0.8x the peer's", ps, peer, "cpu_us_per_request", 0.8, False),
        ("p99 <= the peer's", ps, peer, "p99_ms", 1.0, False),
        ("start to first 200 <= the peer's", ps, peer, "start_seconds", 1.0, False),
        ("RSS after the run <= the peer's", ps, peer, "rss_mib", 1.0, False),
    ]
    ready = medians.get("petsage-ready")
    if ready:
        rows.append(
            ("health/ready >= 0.8x the smoke test", ready, ps, "requests_per_second", 0.8, True)
        )
    if probe:
        rows += [
            (
                "`petsage probe` wall time <= 2x a urllib GET",
                probe[PROBE],
                probe[FLOOR],
                "wall_ms",
                2.0,
                False,
            ),
            (
                "`petsage probe` peak RSS <= 1.5x a urllib GET",
                probe[PROBE],
                probe[FLOOR],
                "peak_rss_mib",
                1.5,
                False,
            ),
        ]
    return [
        {
            "target": text,
            "value": round(ours[metric] / theirs[metric], 3),
            "met": ours[metric] / theirs[metric] >= bound
            if at_least
            else ours[metric] / theirs[metric] <= bound,
        }
        for text, ours, theirs, metric, bound, at_least in rows
    ]


def _label(result: dict[str, Any], name: str) -> str:
    label: str = result["labels"][name]
    return label + (" + access log" if name.endswith(LOGGED) else "")


def markdown(result: dict[str, Any]) -> str:
    medians = result["medians"]
    lines = [
        f"Mode `{result['mode']}`: {result['rounds']} interleaved rounds; each: wrk "
        f"{result['seconds']:g} s after {result['warmup_seconds']:g} s of warm-up, then "
        f"h2load {result['requests']:,} requests for the server's CPU time (/proc); "
        f"{result['connections']} connections; server on core 0, load on core 1; medians. "
        "Ratios are to the FastAPI peer and raw ASGI in the same logging state.",
        "",
        "| server | access log | CPU µs/req | vs peer | req/s | vs peer | vs raw "
        "| p50 ms | p99 ms | start to 200 s | RSS MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in medians.items():
        logged = name.endswith(LOGGED)
        peer = medians[_peer_of(name)]
        raw = medians["raw" + LOGGED if logged else "raw"]
        lines.append(
            f"| {result['labels'][name]} | {'every request' if logged else 'quiet'} "
            f"| {m['cpu_us_per_request']:.0f} "
            f"| {m['cpu_us_per_request'] / peer['cpu_us_per_request']:.2f}x "
            f"| {m['requests_per_second']:,.0f} "
            f"| {m['requests_per_second'] / peer['requests_per_second']:.2f}x "
            f"| {m['requests_per_second'] / raw['requests_per_second']:.2f}x "
            f"| {m['p50_ms']:.2f} | {m['p99_ms']:.2f} "
            f"| {_optional(m, 'start_seconds', '.2f')} | {_optional(m, 'rss_mib', '.1f')} |"
        )
    probe = result.get("probe")
    if probe:
        lines += [
            "",
            f"A container HEALTHCHECK's cost: {result['rounds'] * result['probes']} alternating "
            "runs of each against PetSage's readiness, on the load core; medians.",
            "",
            "| command | wall ms | vs urllib | peak RSS MiB | vs urllib |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, m in probe.items():
            lines.append(
                f"| {name} | {m['wall_ms']:.0f} | {m['wall_ms'] / probe[FLOOR]['wall_ms']:.2f}x "
                f"| {m['peak_rss_mib']:.1f} "
                f"| {m['peak_rss_mib'] / probe[FLOOR]['peak_rss_mib']:.2f}x |"
            )
    lines += ["", "| target | measured | met |", "|---|---:|:---:|"]
    lines += [
        f"| {t['target']} | {t['value']:.2f} | {'yes' if t['met'] else 'no'} |"
        for t in result["targets"]
    ]
    lines += ["", *[f"- {note}" for note in result["notes"]]] if result["notes"] else []
    return "\n".join(lines) + "\n"


def _optional(metrics: dict[str, float], key: str, spec: str) -> str:
    return format(metrics[key], spec) if key in metrics else "n/a"


def chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib  # the bench environment's; imported here so the rest needs no matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    medians = result["medians"]
    names = list(medians)
    figure, axes = plt.subplots(1, 3, figsize=(15, 5), sharey=True)
    colours = [
        ("#8fbbd9" if n.endswith(LOGGED) else "#2a7ab9")
        if n.startswith("petsage")
        else ("#c8c8c8" if n.endswith(LOGGED) else "#8a8a8a")
        for n in names
    ]
    for axis, metric, title, fmt in (
        (axes[0], "cpu_us_per_request", "server CPU µs per request (lower is better)", "%.0f"),
        (axes[1], "requests_per_second", "requests/s (higher is better)", "%.0f"),
        (axes[2], "p99_ms", "p99 latency, ms (lower is better)", "%.1f"),
    ):
        values = [medians[n][metric] for n in names]
        bars = axis.barh([_label(result, n) for n in names], values, color=colours)
        axis.bar_label(bars, fmt=fmt, padding=3)
        axis.set_title(title)
        axis.margins(x=0.25)
    axes[0].invert_yaxis()
    figure.suptitle(
        f"GET smoke test, 1 worker, {result['connections']} connections ({result['mode']} mode)"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write(result: dict[str, Any], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    (directory / "latest.md").write_text(markdown(result))
    chart(result, directory / "latest.png")
