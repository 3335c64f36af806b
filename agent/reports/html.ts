/**
 * report.html: one self-contained page (inline CSS, SVG and a few lines of JS; nothing fetched) with the
 * fleet's totals, tasks by status, throughput per agent over time, the largest failure categories and the
 * task table. Every string from the ledger or the items is user data and goes through esc().
 * Charts are drawn as SVG here, so the page reads the same with scripts off.
 */
import type { TaskStatus, TaskView } from '../../protocol/views.ts'
import { STATUS_WORDS, destinationText, taskDuration, toGB } from '../../protocol/report-rows.ts'
import type { ThroughputSeries } from '../../protocol/report-throughput.ts'
import { fleetAssessment } from '../../protocol/assessment.ts'

export interface ReportPage {
  generatedAt: Date
  generatedBy: string
  tasks: TaskView[]
  agentName: (id: string) => string
  throughput: ThroughputSeries
  failureCategories: { category: string; count: number }[]
  warnings: string[]
}

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const STATUS_COLORS: Record<TaskStatus, string> = {
  scheduled: '#8a94a6',
  queued: '#8a94a6',
  scanning: '#6f42c1',
  'in-progress': '#1f6feb',
  paused: '#d29922',
  completed: '#2da44e',
  failed: '#cf222e',
  cancelled: '#57606a',
}
const SERIES_COLORS = ['#1f6feb', '#2da44e', '#d29922', '#cf222e', '#6f42c1', '#0a7ea4', '#bf3989', '#953800', '#57606a', '#116329']

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) (v /= 1024), u++
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`
}

function num(n: number): string {
  return n.toLocaleString('en-US')
}

function totalsOf(tasks: TaskView[]) {
  const t = { tasks: tasks.length, scanned: 0, toMigrate: 0, atDestination: 0, failed: 0, skipped: 0, bytes: 0, bytesMigrated: 0 }
  for (const x of tasks) {
    t.scanned += x.counts.scanned
    t.toMigrate += x.counts.toMigrate
    t.atDestination += x.counts.migrated + x.counts.unchanged
    t.failed += x.counts.failed
    t.skipped += x.counts.skipped
    t.bytes += x.bytes.total
    t.bytesMigrated += x.bytes.migrated
  }
  return t
}

function barChart(id: string, rows: { label: string; value: number; color: string; attrs: string }[], emptyText: string): string {
  if (rows.length === 0) return `<p class="empty" id="${id}-empty">${esc(emptyText)}</p>`
  const max = Math.max(1, ...rows.map((r) => r.value))
  const rowH = 26
  const labelW = 190
  const width = 560
  const h = rows.length * rowH + 8
  const bars = rows
    .map((r, k) => {
      const w = Math.max(r.value > 0 ? 2 : 0, Math.round(((width - labelW - 70) * r.value) / max))
      const y = 4 + k * rowH
      const label = r.label.length > 28 ? `${r.label.slice(0, 27)}…` : r.label
      return (
        `<g class="bar" ${r.attrs} data-value="${r.value}"><title>${esc(r.label)}: ${num(r.value)}</title>` +
        `<text x="${labelW - 8}" y="${y + 17}" text-anchor="end">${esc(label)}</text>` +
        `<rect x="${labelW}" y="${y + 4}" width="${w}" height="${rowH - 8}" rx="3" fill="${r.color}"></rect>` +
        `<text x="${labelW + w + 6}" y="${y + 17}" class="val">${num(r.value)}</text></g>`
      )
    })
    .join('')
  return `<svg id="${id}" class="chart" viewBox="0 0 ${width} ${h}" width="100%" role="img">${bars}</svg>`
}

function lineChart(series: ThroughputSeries): string {
  const names = Object.keys(series).filter((n) => (series[n]?.length ?? 0) > 0).sort()
  if (names.length === 0) return '<p class="empty" id="throughput-empty">No throughput samples in this report.</p>'
  const W = 1100
  const H = 300
  const L = 70
  const R = 16
  const T = 12
  const B = 34
  let t0 = Infinity
  let t1 = -Infinity
  let vmax = 1
  for (const n of names) {
    for (const p of series[n]!) {
      const t = Date.parse(p.t)
      if (!Number.isFinite(t)) continue
      t0 = Math.min(t0, t)
      t1 = Math.max(t1, t)
      vmax = Math.max(vmax, p.bytesPerSec)
    }
  }
  if (!Number.isFinite(t0)) return '<p class="empty" id="throughput-empty">No throughput samples in this report.</p>'
  const span = Math.max(1, t1 - t0)
  const x = (t: number) => L + ((W - L - R) * (t - t0)) / span
  const y = (v: number) => T + (H - T - B) * (1 - v / vmax)
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<line x1="${L}" x2="${W - R}" y1="${y(vmax * f)}" y2="${y(vmax * f)}" class="grid"></line><text x="${L - 6}" y="${y(vmax * f) + 4}" text-anchor="end" class="axis">${esc(humanBytes(vmax * f))}/s</text>`)
    .join('')
  const timeLabel = (t: number) => new Date(t).toISOString().slice(11, 19)
  const axis =
    `<text x="${L}" y="${H - 10}" class="axis">${esc(timeLabel(t0))} UTC</text>` +
    `<text x="${W - R}" y="${H - 10}" text-anchor="end" class="axis">${esc(timeLabel(t1))} UTC</text>`
  const paths = names
    .map((n, k) => {
      const pts = series[n]!.filter((p) => Number.isFinite(Date.parse(p.t)))
      const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(Date.parse(p.t)).toFixed(1)},${y(p.bytesPerSec).toFixed(1)}`).join(' ')
      const peak = Math.max(0, ...pts.map((p) => p.bytesPerSec))
      const color = SERIES_COLORS[k % SERIES_COLORS.length]
      const dots = pts.length === 1 ? `<circle cx="${x(Date.parse(pts[0]!.t)).toFixed(1)}" cy="${y(pts[0]!.bytesPerSec).toFixed(1)}" r="3" fill="${color}"></circle>` : ''
      return `<g class="series" data-agent="${esc(n)}" data-points="${pts.length}" data-peak="${peak}"><title>${esc(n)}: peak ${esc(humanBytes(peak))}/s</title><path d="${d}" stroke="${color}" fill="none" stroke-width="2"></path>${dots}</g>`
    })
    .join('')
  const legend = names
    .map((n, k) => `<span class="legend-item"><i style="background:${SERIES_COLORS[k % SERIES_COLORS.length]}"></i>${esc(n)}</span>`)
    .join('')
  return `<svg id="throughput-chart" class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img">${grid}${axis}${paths}</svg><div class="legend">${legend}</div>`
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f8fa;color:#1f2328}
header{background:#0b3d91;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.85}
main{padding:20px 28px;max-width:1280px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin-bottom:18px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 14px}.card b{display:block;font-size:22px}.card span{color:#57606a;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.row{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin-bottom:16px}@media(max-width:900px){.row{grid-template-columns:1fr}}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px;margin-bottom:16px}section h2{font-size:16px;margin:0 0 8px}section h3{font-size:14px;margin:6px 0}section h2 small{font-weight:normal;color:#57606a}.half{max-width:620px}
.chart text{font-size:12px;fill:#1f2328}.chart .val{fill:#57606a}.chart .axis{fill:#57606a;font-size:11px}.chart .grid{stroke:#eaeef2}
.legend{display:flex;flex-wrap:wrap;gap:12px;margin-top:6px}.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.empty{color:#57606a;font-style:italic}
.warn{background:#fff8c5;border:1px solid #d4a72c;border-radius:8px;padding:8px 14px;margin-bottom:16px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{cursor:pointer;user-select:none;background:#f6f8fa;position:sticky;top:0}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.path{min-width:150px;max-width:320px;word-break:break-all}.st{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;white-space:nowrap}

.tablewrap{overflow-x:auto}#filter{padding:5px 8px;border:1px solid #d0d7de;border-radius:6px;width:260px;margin-bottom:8px}
`

// Sorting and filtering of the task table; reads only the DOM, writes only textContent/order.
const JS = `
(function(){var t=document.getElementById('tasks');if(!t)return;var b=t.tBodies[0];
document.getElementById('filter').addEventListener('input',function(e){var q=e.target.value.toLowerCase();
Array.prototype.forEach.call(b.rows,function(r){r.style.display=r.textContent.toLowerCase().indexOf(q)>=0?'':'none'})});
Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){var asc=true;th.addEventListener('click',function(){
var rows=Array.prototype.slice.call(b.rows);rows.sort(function(x,y){var a=x.cells[i].getAttribute('data-sort')||x.cells[i].textContent,
c=y.cells[i].getAttribute('data-sort')||y.cells[i].textContent;var na=parseFloat(a),nc=parseFloat(c);
var r=(!isNaN(na)&&!isNaN(nc))?na-nc:a.localeCompare(c);return asc?r:-r});asc=!asc;rows.forEach(function(r){b.appendChild(r)})})})})();
`

/** Migration Manager's Scans dashboard: tasks by file count and by data size, files by last-modified year. */
function scanSection(tasks: TaskView[]): string {
  const f = fleetAssessment(tasks)
  if (f.assessed === 0) return '<section id="scan"><h2>Scan assessment</h2><p class="empty" id="scan-empty">No task has been scanned yet.</p></section>'
  const bucketRows = (rows: { label: string; count: number }[], kind: string, color: string) =>
    rows.map((r) => ({ label: r.label, value: r.count, color, attrs: `data-${kind}="${esc(r.label)}"` }))
  const yearRows = f.years.map((y) => ({ label: y.year, value: y.files, color: '#0a7ea4', attrs: `data-year="${esc(y.year)}"` }))
  return (
    `<section id="scan"><h2>Scan assessment <small id="scan-assessed">(${num(f.assessed)} scanned task${f.assessed === 1 ? '' : 's'})</small></h2>` +
    `<div class="row"><div><h3>Tasks by file count</h3>${barChart('scan-files-chart', bucketRows(f.fileCounts, 'bucket', '#6f42c1'), 'No scanned tasks.')}</div>` +
    `<div><h3>Tasks by data size</h3>${barChart('scan-size-chart', bucketRows(f.sizes, 'bucket', '#1f6feb'), 'No scanned tasks.')}</div></div>` +
    `<div class="half"><h3>Files by last-modified year</h3>${barChart('scan-years-chart', yearRows, 'No files scanned.')}</div></section>`
  )
}

export function buildReportHtml(p: ReportPage): string {
  const tot = totalsOf(p.tasks)
  const byStatus = new Map<TaskStatus, number>()
  for (const t of p.tasks) byStatus.set(t.status, (byStatus.get(t.status) ?? 0) + 1)
  const agents = new Set(p.tasks.flatMap((t) => (t.agent ? [t.agent] : [])))
  const cards = [
    ['Tasks', num(tot.tasks), 'total-tasks'],
    ['Agents that ran tasks', num(agents.size), 'total-agents'],
    ['Items scanned', num(tot.scanned), 'total-scanned'],
    ['Items at destination', num(tot.atDestination), 'total-migrated'],
    ['Items failed', num(tot.failed), 'total-failed'],
    ['Items filtered out', num(tot.skipped), 'total-skipped'],
    ['Data at destination', `${humanBytes(tot.bytesMigrated)} of ${humanBytes(tot.bytes)}`, 'total-bytes'],
  ]
    .map(([label, value, id]) => `<div class="card" id="${id}"><span>${esc(label)}</span><b>${esc(value)}</b></div>`)
    .join('')
  const statusRows = (Object.keys(STATUS_WORDS) as TaskStatus[])
    .filter((s) => (byStatus.get(s) ?? 0) > 0)
    .map((s) => ({ label: STATUS_WORDS[s], value: byStatus.get(s)!, color: STATUS_COLORS[s], attrs: `data-status="${s}"` }))
  const failRows = p.failureCategories.slice(0, 10).map((f) => ({ label: f.category, value: f.count, color: '#cf222e', attrs: `data-category="${esc(f.category)}"` }))
  const rows = p.tasks
    .map((t) => {
      const pct = t.bytes.total > 0 ? Math.min(100, (100 * t.bytes.migrated) / t.bytes.total) : t.status === 'completed' ? 100 : 0
      return (
        `<tr data-task="${esc(t.id)}"><td>${esc(t.name)}</td>` +
        `<td data-sort="${esc(t.status)}"><span class="st" style="background:${STATUS_COLORS[t.status] ?? '#57606a'}">${esc(STATUS_WORDS[t.status] ?? t.status)}</span></td>` +
        `<td class="path">${esc(t.source)}</td><td class="path">${esc(destinationText(t.destination))}</td>` +
        `<td class="n">${num(t.counts.scanned)}</td><td class="n">${num(t.counts.migrated + t.counts.unchanged)}</td><td class="n">${num(t.counts.failed)}</td>` +
        `<td class="n" data-sort="${t.bytes.migrated}">${esc(toGB(t.bytes.migrated))}</td><td class="n" data-sort="${pct}">${pct.toFixed(0)}%</td>` +
        `<td>${esc(t.agent ? p.agentName(t.agent) : '')}</td><td>${esc(taskDuration(t, p.generatedAt))}</td><td>${esc(t.group)}</td>` +
        `<td>${esc(t.failureReason ?? t.waitingReason ?? '')}</td></tr>`
      )
    })
    .join('')
  const warnings = p.warnings.length
    ? `<div class="warn" id="warnings"><b>Incomplete data</b><ul>${p.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></div>`
    : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>mmesh migration report</title><style>${CSS}</style></head>
<body><header><h1>Migration report</h1><p>Generated ${esc(p.generatedAt.toISOString())} by ${esc(p.generatedBy)} · ${num(tot.tasks)} tasks</p></header>
<main>${warnings}<div class="cards">${cards}</div>
<div class="row"><section><h2>Tasks by status</h2>${barChart('status-chart', statusRows, 'No tasks.')}</section>
<section><h2>Largest failure categories</h2>${barChart('failure-chart', failRows, 'No failed items.')}</section></div>
<section><h2>Throughput per agent</h2>${lineChart(p.throughput)}</section>
${scanSection(p.tasks)}
<section><h2>Tasks</h2><input id="filter" type="search" placeholder="Filter tasks…" aria-label="Filter tasks">
<div class="tablewrap"><table id="tasks"><thead><tr><th>Task</th><th>Status</th><th>Source</th><th>Destination</th><th>Scanned</th><th>Migrated</th><th>Failed</th><th>Migrated GB</th><th>Done</th><th>Agent</th><th>Duration</th><th>Group</th><th>Reason</th></tr></thead>
<tbody>${rows}</tbody></table></div></section></main>
<script>${JS}</script></body></html>
`
}
