"""Inline stylesheet of the HTML report (compacted into the file's ``<style>``)."""

from __future__ import annotations

import re

_SOURCE = """
:root {
  --fg:#1f2328;
  --muted:#59636e;
  --line:#d1d9e0;
  --bg:#f6f8fa;
  --card:#fff;
}
* {
  box-sizing:border-box;
}
body {
  margin:0;
  font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  color:var(--fg);
  background:var(--bg);
}
header.top {
  background:#24292f;
  color:#fff;
  padding:20px 32px;
}
header.top h1 {
  margin:0 0 4px;
  font-size:24px;
}
header.top .sub {
  color:#d0d7de;
}
header.top .period {
  margin-top:10px;
  max-width:520px;
}
header.top .period .bar {
  background:#57606a;
}
header.top .period .fill {
  background:#8ec5ff;
}
main {
  padding:20px 32px 40px;
  max-width:1280px;
}
h2,h3 {
  margin:0;
  font-size:18px;
  line-height:1.3;
}
h3 {
  font-size:16px;
}
.id {
  font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
  font-size:.85em;
  color:var(--muted);
  font-weight:600;
}
.meta {
  color:var(--muted);
  font-size:12.5px;
}
.summary {
  background:var(--card);
  border:1px solid var(--line);
  border-radius:8px;
  padding:16px 20px;
  margin-bottom:20px;
  display:grid;
  grid-template-columns:1fr 1fr;
  gap:8px 32px;
}
.summary h2 {
  grid-column:1/-1;
}
.dist-name {
  font-weight:600;
  margin-bottom:4px;
}
.stack {
  display:flex;
  height:12px;
  border-radius:6px;
  overflow:hidden;
  background:#eaeef2;
}
.chips {
  list-style:none;
  padding:0;
  margin:8px 0 0;
  display:flex;
  flex-wrap:wrap;
  gap:6px 14px;
  font-size:13px;
}
.dot {
  display:inline-block;
  width:10px;
  height:10px;
  border-radius:50%;
  margin-right:5px;
  vertical-align:-1px;
}
.attention {
  grid-column:1/-1;
}
.attention h3 {
  font-size:14px;
  margin:8px 0 4px;
}
.attention ul {
  margin:0;
  padding-left:0;
  list-style:none;
}
.attention li {
  margin:3px 0;
}
.attention a {
  color:#0969da;
  text-decoration:none;
  font-weight:600;
}
.objective {
  background:var(--card);
  border:1px solid var(--line);
  border-radius:8px;
  padding:16px 20px;
  margin:0 0 20px;
}
.children .objective {
  border-left:4px solid var(--line);
  margin:16px 0 0;
  background:#fcfdfe;
}
.obj-head {
  display:flex;
  gap:24px;
  align-items:flex-start;
  justify-content:space-between;
}
.obj-text {
  flex:1;
  min-width:0;
}
.obj-progress {
  display:flex;
  align-items:center;
  gap:12px;
  margin:10px 0 4px;
}
.obj-progress .bar {
  flex:0 0 260px;
}
.obj-nums {
  white-space:nowrap;
}
.obj-nums .progress {
  font-size:18px;
}
.obj-nums .expected {
  color:var(--muted);
  margin:0 8px;
}
.score {
  margin-left:8px;
  font-weight:600;
}
.bar {
  position:relative;
  height:10px;
  border-radius:5px;
  background:#eaeef2;
  overflow:visible;
  min-width:120px;
}
.bar.large {
  height:14px;
  border-radius:7px;
}
.bar .fill {
  position:absolute;
  left:0;
  top:0;
  bottom:0;
  border-radius:inherit;
}
.bar .exp {
  position:absolute;
  top:-3px;
  bottom:-3px;
  width:2px;
  margin-left:-1px;
  background:#24292f;
}
.badge {
  display:inline-block;
  padding:1px 8px;
  border-radius:10px;
  font-size:12px;
  font-weight:600;
  color:#fff;
  white-space:nowrap;
}
.badge.h-at_risk,.badge.h-no_data,.badge.h-not_started {
  color:#1f2328;
}
.h-done {
  background:#8250df;
}
.h-on_track {
  background:#2da44e;
}
.h-at_risk {
  background:#d4a72c;
}
.h-off_track {
  background:#cf222e;
}
.h-overdue {
  background:#82071e;
}
.h-not_started {
  background:#c4ccd4;
}
.h-no_data {
  background:#e1e6eb;
}
.chart {
  margin:0;
  flex:0 0 380px;
}
.chart figcaption {
  font-size:11.5px;
  color:var(--muted);
  text-align:right;
  padding-right:12px;
}
.key-progress,.key-expected {
  display:inline-block;
  width:18px;
  height:0;
  border-top:2.5px solid;
  vertical-align:middle;
  margin:0 4px 0 10px;
}
.key-expected {
  border-top:2px dashed #57606a;
}
svg.trend {
  display:block;
  max-width:100%;
  height:auto;
  font:10px system-ui,sans-serif;
}
svg .grid {
  stroke:#eaeef2;
  stroke-width:1;
}
svg .axis {
  stroke:#afb8c1;
  stroke-width:1;
}
svg .tick {
  stroke:#afb8c1;
}
svg .ylab {
  fill:#6e7781;
  text-anchor:end;
}
svg .xlab {
  fill:#6e7781;
  text-anchor:middle;
}
svg .todaylab {
  fill:#0969da;
  text-anchor:end;
}
svg .today {
  stroke:#0969da;
  stroke-width:1;
  stroke-dasharray:2 3;
}
svg .expected {
  stroke-width:1.5;
  stroke-dasharray:5 4;
  fill:none;
}
svg .progress {
  stroke-width:2.5;
  fill:none;
  stroke-linejoin:round;
  stroke-linecap:round;
}
svg .area {
  opacity:.12;
  stroke:none;
}
svg .nodata {
  fill:#8c959f;
  text-anchor:middle;
  font-size:12px;
}
table.krs {
  width:100%;
  border-collapse:collapse;
  margin-top:14px;
}
.krs th {
  text-align:left;
  font-size:12px;
  color:var(--muted);
  font-weight:600;
  border-bottom:1px solid var(--line);
  padding:4px 8px;
}
.krs td {
  border-bottom:1px solid #eaeef2;
  padding:8px;
  vertical-align:top;
}
.krs tr:last-child td {
  border-bottom:0;
}
.krs .kr-main {
  width:58%;
}
.krs .kr-bar {
  width:18%;
  padding-top:13px;
}
.krs .num {
  text-align:right;
  white-space:nowrap;
  font-variant-numeric:tabular-nums;
}
.kr-title {
  font-weight:600;
}
.expl {
  color:var(--muted);
  font-size:12.5px;
}
.warn {
  color:#9a6700;
  font-size:12.5px;
}
.warn::before {
  content:"\\26a0\\fe0e  ";
}
.checkin {
  color:#5b21b6;
  font-size:12.5px;
}
details.aps {
  margin-top:4px;
  font-size:12.5px;
}
details.aps summary {
  cursor:pointer;
  color:#0969da;
}
details.aps ul {
  margin:4px 0 2px;
  padding-left:18px;
}
.ap .key {
  font-family:ui-monospace,Menlo,Consolas,monospace;
  font-size:.9em;
  color:var(--muted);
}
.ap .status {
  font-size:11px;
  border:1px solid var(--line);
  border-radius:8px;
  padding:0 6px;
  margin-left:4px;
}
.ap.done .status {
  border-color:#8250df;
  color:#8250df;
}
.ap.cancelled .ap-title {
  text-decoration:line-through;
  color:var(--muted);
}
.ap .who {
  color:var(--muted);
  margin-left:6px;
}
.warnings {
  background:#fff8c5;
  border:1px solid #d4a72c;
  border-radius:8px;
  padding:8px 16px;
  margin-bottom:20px;
}
footer {
  color:var(--muted);
  font-size:12px;
  padding:0 32px 24px;
}
@media (max-width:900px) {
  .obj-head {
    flex-direction:column;
  }
  .chart {
    flex-basis:auto;
  }
  .summary {
    grid-template-columns:1fr;
  }
}
@media print {
  body {
    background:#fff;
  }
  .objective {
    break-inside:avoid;
  }
  details.aps {
    display:none;
  }
}
"""

CSS = re.sub(r"\s*\n\s*", "", _SOURCE)
"""The stylesheet on one line: no newlines, rules as written."""
