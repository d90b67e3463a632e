"""The bench's result as an SVG chart, written by hand (no plotting library).

``render(run)`` takes the run as ``bench.py`` saves it in JSON (see
``bench.run_record``) and returns the SVG text:

* a title with the date, the machine's cores and the commit measured;
* one panel per persistence configuration measured: for every command, the
  throughput of the first server over the second's (Efis/Redis) at pipeline
  depth 1 and 32 as paired horizontal bars, with the 1.0 line (as fast as
  Redis) drawn across, and the geometric mean as the last row;
* one panel per persistence configuration of the scripts part
  (``--scripts``), drawn like those of throughput with a row per Lua script
  run with EVALSHA;
* one panel with the resident memory per key of both servers after the
  memory part's load.

``python3 tests/bench/bench.py --chart-from tests/bench/last-run.json``
draws the chart again from a saved run.
"""

import math
import os
from xml.sax.saxutils import escape

WIDTH = 960
MARGIN = 24
GAP = 24
FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
DEPTH_COLOURS = {"1": "#3b6fb6", "32": "#e08a2c"}
SERVER_COLOURS = ["#3b6fb6", "#9a9a9a"]
INK = "#222222"
MUTED = "#666666"
GRID = "#e3e3e3"
ROW = 26
BAR = 9
# Short panel titles for the persistence configurations bench.py knows.
CONFIG_TITLES = {
    "no": "Efis appendfsync no, Redis persistence off",
    "everysec": "appendfsync everysec on both",
    "always": "appendfsync always on both",
}


# A white outline under a value label keeps it legible where it crosses a line.
HALO = ' stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'


def text(x, y, content, size=12, anchor="start", weight="normal", fill=INK, extra=""):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}"{extra}>{escape(str(content))}</text>')


def rect(x, y, w, h, fill, extra=""):
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}"{extra}/>'


def line(x1, y1, x2, y2, stroke, width=1, extra=""):
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{stroke}" stroke-width="{width}"{extra}/>')


def axis_max(values):
    """Upper end of the ratio axis: past the largest value, in steps of 0.5."""
    top = max([1.0, *values]) * 1.08
    return max(1.5, math.ceil(top / 0.5) * 0.5)


def panel_height(rows):
    # header (title, subtitle, 1.0 label) + rows + axis labels + footer
    return 56 + rows * ROW + 22 + 24


def panel_rows(panel):
    """The row names of a panel: its commands, or its scripts."""
    return panel["scripts"] if "scripts" in panel else panel["commands"]


def throughput_panel(x0, y0, width, panel, labels):
    """Ratio bars of one configuration (of commands or of scripts); returns the SVG elements."""
    out = []
    a, b = labels
    title = CONFIG_TITLES.get(panel["config"], panel["config"])
    what = "requests per second"
    if "scripts" in panel:
        title = f"Scripts: {title}"
        what = "EVALSHA of Lua scripts, requests per second"
    out.append(text(x0, y0 + 14, title, size=13.5, weight="bold"))
    out.append(text(x0, y0 + 31, f"{what}, {a}/{b}; longer is faster for {a}",
                    size=11, fill=MUTED))
    commands = panel_rows(panel)
    rows = [(cmd, {d: panel["pipelines"].get(d, {}).get(cmd, {}).get("ratio") for d in ("1", "32")})
            for cmd in commands]
    rows.append(("geo. mean", {d: panel["pipelines"].get(d, {}).get("geomean") for d in ("1", "32")}))
    values = [v for _, r in rows for v in r.values() if isinstance(v, (int, float))]
    top = axis_max(values)

    label_w = 84
    bx0 = x0 + label_w
    bx1 = x0 + width - 40  # room for the value labels
    scale = (bx1 - bx0) / top
    ry0 = y0 + 56
    ry1 = ry0 + len(rows) * ROW

    # Grid and axis.
    step = 0.5
    tick = 0.0
    while tick <= top + 1e-9:
        x = bx0 + tick * scale
        if abs(tick - 1.0) > 1e-9:
            out.append(line(x, ry0 - 4, x, ry1 + 4, GRID))
        out.append(text(x, ry1 + 18, f"{tick:.1f}", size=10.5, anchor="middle", fill=MUTED))
        tick += step
    out.append(line(bx0, ry0 - 4, bx0, ry1 + 4, "#bbbbbb"))

    labels_out = []  # value labels, drawn last: above the bars and the 1.0 line
    for i, (name, ratios) in enumerate(rows):
        y = ry0 + i * ROW
        is_mean = name == "geo. mean"
        if is_mean:
            out.append(line(x0 + 4, y - 1, bx1 + 36, y - 1, "#cccccc"))
        out.append(text(bx0 - 8, y + ROW / 2 + 4, name, size=12, anchor="end",
                        weight="bold" if is_mean else "normal"))
        for j, depth in enumerate(("1", "32")):
            by = y + 3 + j * (BAR + 1)
            value = ratios[depth]
            if isinstance(value, (int, float)):
                out.append(rect(bx0, by, value * scale, BAR, DEPTH_COLOURS[depth]))
                labels_out.append(text(bx0 + value * scale + 4, by + BAR - 0.5, f"{value:.2f}", size=10,
                                       weight="bold" if is_mean else "normal", extra=HALO))
            elif depth in panel["pipelines"]:
                labels_out.append(text(bx0 + 4, by + BAR - 0.5, "error", size=10, fill="#c0392b",
                                       extra=HALO))

    # The line that matters: as fast as the second server.
    x1 = bx0 + 1.0 * scale
    out.append(line(x1, ry0 - 8, x1, ry1 + 4, "#c0392b", 1.5, ' stroke-dasharray="5,3"'))
    out.append(text(x1 + 4, ry0 - 8, f"{b} = 1.0", size=10, fill="#c0392b"))
    out.extend(labels_out)

    # Footer: CPU per request.
    cpu = [f"-P {d} {panel['pipelines'][d]['cpu_geomean']:.2f}" for d in ("1", "32")
           if isinstance(panel["pipelines"].get(d, {}).get("cpu_geomean"), (int, float))]
    if cpu:
        out.append(text(x0, ry1 + 40, f"server CPU per request, {a}/{b} (geo. mean): "
                        f"{', '.join(cpu)}", size=11, fill=MUTED))
    return out


def memory_panel(x0, y0, width, memory):
    out = []
    keys = memory.get("keys", 0)
    out.append(text(x0, y0 + 14, "Resident memory per key", size=13.5, weight="bold"))
    out.append(text(x0, y0 + 31, f"after {keys:,} x SET key:%08d <16-byte value>, persistence off; "
                    "shorter is smaller", size=11, fill=MUTED))
    servers = [s for s in ("Efis", "Redis") if isinstance(memory.get(s), dict)]
    per_key = {s: memory[s].get("bytes_per_key") for s in servers}
    top = max([v for v in per_key.values() if isinstance(v, (int, float))] or [1.0]) * 1.15
    label_w = 84
    bx0 = x0 + label_w
    bx1 = x0 + width - 150
    scale = (bx1 - bx0) / top
    y = y0 + 44
    for i, server in enumerate(("Efis", "Redis")):
        row_y = y + i * 24
        out.append(text(bx0 - 8, row_y + 13, server, size=12, anchor="end"))
        value = per_key.get(server)
        if isinstance(value, (int, float)):
            out.append(rect(bx0, row_y + 2, value * scale, 16, SERVER_COLOURS[i]))
            out.append(text(bx0 + value * scale + 6, row_y + 14.5, f"{value:.1f} bytes", size=11))
        else:
            reason = memory.get(server) if isinstance(memory.get(server), str) else "not measured"
            out.append(text(bx0 + 4, row_y + 14.5, reason, size=11, fill="#c0392b"))
    ratio = memory.get("ratio")
    if isinstance(ratio, (int, float)):
        out.append(text(x0 + width, y + 28, f"Efis/Redis {ratio:.2f}", size=13, anchor="end",
                        weight="bold"))
    return out


def subtitle(run):
    parts = [run.get("date", "?"), f"{run.get('cores', '?')} cores ({run.get('cpu', '?')})",
             f"commit {run.get('commit', '?')}"]
    return " \u00b7 ".join(parts)


def method_line(run):
    rounds = run.get("rounds")
    bits = [run.get("redis", "redis ?"), "redis-benchmark -c 50 -r 100000",
            f"median of {rounds} round{'s' if rounds != 1 else ''}"]
    if run.get("quick"):
        bits.append("--quick (a smoke run, not a measurement)")
    if run.get("note"):
        bits.append(run["note"])
    return " \u00b7 ".join(bits)


def render(run):
    """The SVG text of a saved run."""
    panels = run.get("throughput") or []
    scripts = run.get("scripts") or []
    memory = run.get("memory")
    labels = run.get("labels") or ["Efis", "Redis"]

    body = []
    y = MARGIN
    measured = "throughput and memory"
    if scripts:
        parts = ["throughput"] if panels else []
        parts.append("Lua scripts")
        if isinstance(memory, dict):
            parts.append("memory")
        measured = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    body.append(text(MARGIN, y + 14, f"{labels[0]} against {labels[1]}: {measured}",
                     size=18, weight="bold"))
    body.append(text(MARGIN, y + 34, subtitle(run), size=12, fill=MUTED))
    body.append(text(MARGIN, y + 51, method_line(run), size=12, fill=MUTED))
    if panels or scripts:
        # Legend of the pipeline depths, top right.
        lx = WIDTH - MARGIN - 190
        body.append(text(lx, y + 14, "pipeline depth", size=11, fill=MUTED))
        for i, depth in enumerate(("1", "32")):
            body.append(rect(lx + 84 + i * 56, y + 5, 12, 10, DEPTH_COLOURS[depth]))
            body.append(text(lx + 84 + i * 56 + 16, y + 14, f"-P {depth}", size=11))
    y += 72

    for group in (panels, scripts):
        columns = 2 if len(group) > 1 else 1
        panel_w = (WIDTH - 2 * MARGIN - (columns - 1) * GAP) / columns
        for start in range(0, len(group), columns):
            row = group[start:start + columns]
            height = max(panel_height(len(panel_rows(p)) + 1) for p in row)
            for k, panel in enumerate(row):
                x = MARGIN + k * (panel_w + GAP)
                body.extend(throughput_panel(x, y, panel_w, panel, labels))
            y += height + GAP

    if isinstance(memory, dict):
        body.extend(memory_panel(MARGIN, y, WIDTH - 2 * MARGIN, memory))
        y += 44 + 2 * 24 + GAP

    if not panels and not scripts and not isinstance(memory, dict):
        body.append(text(MARGIN, y + 14, "nothing was measured in this run", size=12, fill=MUTED))
        y += 30

    height = y + 4
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" font-family="{FONT}">\n'
            f'<title>{escape(labels[0])} against {escape(labels[1])}, {escape(subtitle(run))}</title>\n'
            f'{rect(0, 0, WIDTH, height, "#ffffff")}\n')
    return head + "\n".join(body) + "\n</svg>\n"


def write(run, path):
    """Writes the chart of `run` to `path` (whole, or not at all)."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(render(run))
    os.replace(tmp, path)
