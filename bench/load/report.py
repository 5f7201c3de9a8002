"""Where results go: a timestamped JSON under var/bench/, a table appended to
docs/performance.md (section "## Load (issue 9)"), and a PNG of the delivery latency
percentiles over time, drawn with Pillow (already a dependency) so the bench needs no
plotting library."""
from __future__ import annotations

import json
import math
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image, ImageDraw

SECTION = "## Load (issue 9)"
SECTION_INTRO = """
The load generator of `bench/load/` (its design: `bench/load/__init__.py`): simulated
people on WebSockets through Traefik, an open-loop schedule of messages, thread
replies, reactions, typing, read marks and channel switches; latency from writing a
`send` frame to its `ack` and to every other member's socket; loss and duplicates
decided per (message, recipient) after a grace period. Each run appends a table here
with its exact command; the JSON (every number, the per-second series) and a PNG of
the latency percentiles over time are under `var/bench/`.
"""
COLOURS = {"p50_ms": (40, 110, 200), "p95_ms": (230, 140, 20), "p99_ms": (200, 40, 40),
           "max_ms": (150, 150, 150)}


def progress(line: str) -> None:
    """A line on stderr while a long run goes on (setup of a thousand people takes
    minutes the first time)."""
    print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


def stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


def write_json(result: dict, out_dir: Path, name: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    return path


def save_and_print(name: str, result: dict, headers: list[str], rows: list[list],
                   out_dir: Path) -> Path:
    """How a store micro-benchmark ends: its result, stamped with the time, as
    ``out_dir/<name>.json``, and its table printed in markdown for docs/performance.md."""
    stamped = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds")} | result
    path = write_json(stamped, out_dir, name)
    print(table(headers, rows))
    print(f"JSON: {path}")
    return path


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---:" if i else "---" for i in range(len(headers))) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def phase_row(result: dict) -> list:
    """One phase as a row of the standard load table."""
    delivery, ack, verdict = result["delivery"], result["ack"], result["verdict"]
    cpu = result.get("cpu", {})
    return [result["label"], result["rate"], result["messages_per_s"],
            result["deliveries_per_s"], ack.get("p50_ms"), ack.get("p99_ms"),
            delivery.get("p50_ms"), delivery.get("p95_ms"), delivery.get("p99_ms"),
            delivery.get("max_ms"), round(result["error_rate"] * 100, 3), verdict["lost"],
            verdict.get("late"), verdict["duplicates"], cpu.get("stack_ms_per_message")]


PHASE_HEADERS = ["phase", "target msg/s", "msg/s", "deliveries/s", "ack p50 ms",
                 "ack p99 ms", "delivery p50 ms", "p95 ms", "p99 ms", "max ms", "errors %",
                 "lost", "late", "dup", "stack CPU ms/msg"]


def append_markdown(doc: Path, title: str, command: str, body: str,
                    section: str = SECTION, intro: str = SECTION_INTRO) -> None:
    """Append one run at the end of ``section`` (the load section unless told; created
    at the end of the file the first time), before the next ``## `` section if one
    follows; earlier runs are kept, so the document is a log of measurements."""
    text = doc.read_text() if doc.exists() else ""
    lines = text.rstrip("\n").split("\n") if text.strip() else []
    if section not in lines:
        lines += ["", section, ""] + intro.strip("\n").split("\n")
    start = lines.index(section)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
               len(lines))
    head, tail = "\n".join(lines[:end]).rstrip("\n"), "\n".join(lines[end:])
    entry = f"\n\n### {title}\n\nCommand: `{command}`\n\n{body.strip()}\n"
    doc.write_text(head + entry + ("\n" + tail + "\n" if tail else ""))


def draw_latency_chart(series: list[dict], path: Path, title: str,
                       size: tuple[int, int] = (900, 420)) -> Path:
    """Delivery latency percentiles per second, one line each, on a log-free ms axis
    (capped at the largest p99 so a single max does not flatten the picture)."""
    width, height = size
    left, right, top, bottom = 70, 20, 40, 50
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.text((left, 12), title, fill="black")
    plot_w, plot_h = width - left - right, height - top - bottom
    draw.rectangle([left, top, left + plot_w, top + plot_h], outline=(120, 120, 120))
    if series:
        t_max = max(point["t"] for point in series) or 1.0
        y_max = max(max(point.get("p99_ms", 0) for point in series) * 1.1, 1.0)

        def xy(t: float, ms: float) -> tuple[float, float]:
            return (left + plot_w * t / t_max,
                    top + plot_h * (1 - min(ms, y_max) / y_max))

        for i in range(6):
            ms = y_max * i / 5
            y = xy(0, ms)[1]
            draw.line([left, y, left + plot_w, y], fill=(230, 230, 230))
            draw.text((6, y - 6), f"{ms:,.0f} ms", fill="black")
        for i in range(6):
            t = t_max * i / 5
            x = xy(t, 0)[0]
            draw.text((x - 10, top + plot_h + 6), f"{t:.0f} s", fill="black")
        for key, colour in COLOURS.items():
            if key == "max_ms":
                continue
            points = [xy(p["t"], p[key]) for p in series if key in p]
            if len(points) > 1:
                draw.line(points, fill=colour, width=2)
            elif points:
                draw.ellipse([points[0][0] - 2, points[0][1] - 2,
                              points[0][0] + 2, points[0][1] + 2], fill=colour)
        legend_x = left + 10
        for key, colour in COLOURS.items():
            if key == "max_ms":
                continue
            draw.line([legend_x, top + 12, legend_x + 20, top + 12], fill=colour, width=3)
            draw.text((legend_x + 24, top + 6), key.replace("_ms", ""), fill="black")
            legend_x += 70
    draw.text((left + plot_w // 2 - 80, height - 18),
              "seconds into the phase (by arrival)", fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path
