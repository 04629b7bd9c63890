"""Medians, ratios and the targets, written as JSON, a markdown table and a PNG chart."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

METRICS = ("requests_per_second", "p50_ms", "p99_ms", "start_seconds", "rss_mib")


def summarise(samples: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    """The median of every metric, per contender."""
    return {
        name: {m: statistics.median(s[m] for s in rounds) for m in METRICS if m in rounds[0]}
        for name, rounds in samples.items()
        if rounds
    }


def targets(medians: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it is met."""
    ps, peer, raw = medians["petsage"], medians["fastapi"], medians["raw"]
    rows = [
        (
            "throughput >= 1.2x the FastAPI peer",
            ps["requests_per_second"] / peer["requests_per_second"],
            1.2,
            True,
        ),
        (
            "throughput >= 0.5x raw ASGI",
            ps["requests_per_second"] / raw["requests_per_second"],
            0.5,
            True,
        ),
        ("p99 <= the peer's (ratio)", ps["p99_ms"] / peer["p99_ms"], 1.0, False),
        (
            "start to first 200 <= the peer's (ratio)",
            ps["start_seconds"] / peer["start_seconds"],
            1.0,
            False,
        ),
        ("RSS after the run <= the peer's (ratio)", ps["rss_mib"] / peer["rss_mib"], 1.0, False),
    ]
    ready = medians.get("petsage-ready")
    if ready:
        rows.append(
            (
                "health/ready >= 0.8x the smoke test",
                ready["requests_per_second"] / ps["requests_per_second"],
                0.8,
                True,
            )
        )
    return [
        {
            "target": text,
            "value": round(value, 3),
            "met": value >= bound if at_least else value <= bound,
        }
        for text, value, bound, at_least in rows
    ]


def markdown(result: dict[str, Any]) -> str:
    medians, labels = result["medians"], result["labels"]
    peer, raw = medians["fastapi"], medians["raw"]
    lines = [
        f"Mode `{result['mode']}`: {result['rounds']} interleaved rounds of "
        f"{result['seconds']:g} s after {result['warmup_seconds']:g} s of warm-up; "
        f"{result['connections']} connections; "
        "server on core 0, wrk on core 1; medians.",
        "",
        "| server | req/s | vs peer | vs raw | p50 ms | p99 ms | start to 200 s | RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in medians.items():
        lines.append(
            f"| {labels[name]} | {m['requests_per_second']:,.0f} "
            f"| {m['requests_per_second'] / peer['requests_per_second']:.2f}x "
            f"| {m['requests_per_second'] / raw['requests_per_second']:.2f}x "
            f"| {m['p50_ms']:.2f} | {m['p99_ms']:.2f} "
            f"| {_optional(m, 'start_seconds', '.2f')} | {_optional(m, 'rss_mib', '.1f')} |"
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

    medians, labels = result["medians"], result["labels"]
    names = list(medians)
    figure, (rps_axis, p99_axis) = plt.subplots(1, 2, figsize=(10, 4))
    colours = ["#2a7ab9" if n.startswith("petsage") else "#9a9a9a" for n in names]
    for axis, metric, title in (
        (rps_axis, "requests_per_second", "requests/s (higher is better)"),
        (p99_axis, "p99_ms", "p99 latency, ms (lower is better)"),
    ):
        values = [medians[n][metric] for n in names]
        bars = axis.barh([labels[n] for n in names], values, color=colours)
        axis.bar_label(bars, fmt="%.0f" if metric == "requests_per_second" else "%.1f", padding=3)
        axis.set_title(title)
        axis.invert_yaxis()
        axis.margins(x=0.2)
    figure.suptitle(
        f"GET smoke test, 1 worker, {result['connections']} connections ({result['mode']} mode)"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write(result: dict[str, Any], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    (directory / "latest.md").write_text(markdown(result))
    chart(result, directory / "latest.png")
