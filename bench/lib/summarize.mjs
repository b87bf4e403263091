// summarize.mjs RESULT_DIR — turns runs.tsv (one row per measured run), targets.tsv and meta.tsv
// of one run of bench/run.sh into summary.md: the goals table first (each target against the
// nginx-proxy row of the same run), then medians, ratios, and the opt-in modes' tables.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const readTsv = (name) => {
  const [header, ...rows] = readFileSync(path.join(dir, name), 'utf8').trimEnd().split('\n');
  const keys = header.split('\t');
  return rows.filter(Boolean).map((row) => Object.fromEntries(row.split('\t').map((v, i) => [keys[i], v])));
};
const runs = readTsv('runs.tsv');
const targets = readTsv('targets.tsv');
const meta = Object.fromEntries(readTsv('meta.tsv').map((r) => [r.key, r.value]));
const modes = meta.modes.split(' ');
const references = ['direct', 'nginx-proxy'];

const num = (v) => (v === undefined || v === '' || v === 'nan' ? NaN : Number(v));
function median(values) {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
const rowsOf = (target, mode) => runs.filter((r) => r.target === target && r.mode === mode);
const med = (target, mode, column) => median(rowsOf(target, mode).map((r) => num(r[column])));
const errorsOf = (target, mode) => rowsOf(target, mode).reduce((s, r) => s + num(r.non2xx) + num(r.errors), 0);
const ran = (target, mode) => rowsOf(target, mode).length > 0;

const fixed = (v, digits) => (Number.isNaN(v) ? 'n/a' : v.toFixed(digits));
const signed = (v, digits) => (Number.isNaN(v) ? 'n/a' : (v >= 0 ? '+' : '') + v.toFixed(digits));
const mib = (kb) => (Number.isNaN(kb) ? 'n/a' : (kb / 1024).toFixed(1));

// --- goals -------------------------------------------------------------------------------------
// Each goal: how to compute the value, how to print it, and whether a value passes a bound.
const conc = meta.conc;
const goals = [
  { metric: `requests/s ÷ nginx-proxy, throughput c=${conc}`, must: '≥ 0.50', target: '≥ 0.85',
    value: (t) => med(t, 'throughput', 'rps') / med('nginx-proxy', 'throughput', 'rps'),
    show: (v) => fixed(v, 3), pass: (v, bound) => v >= bound, bounds: [0.5, 0.85] },
  { metric: `p99 ÷ nginx-proxy p99, throughput c=${conc}`, must: '≤ 2.0', target: '≤ 1.2',
    value: (t) => med(t, 'throughput', 'p99_ms') / med('nginx-proxy', 'throughput', 'p99_ms'),
    show: (v) => fixed(v, 2), pass: (v, bound) => v <= bound, bounds: [2.0, 1.2] },
  { metric: 'p50 − nginx-proxy p50, latency c=1', must: '≤ 50 µs', target: '≤ 10 µs',
    value: (t) => 1000 * (med(t, 'latency', 'p50_ms') - med('nginx-proxy', 'latency', 'p50_ms')),
    show: (v) => `${signed(v, 0)} µs`, pass: (v, bound) => v <= bound, bounds: [50, 10] },
  { metric: 'p99 − nginx-proxy p99, latency c=1', must: '≤ 250 µs', target: '≤ 50 µs',
    value: (t) => 1000 * (med(t, 'latency', 'p99_ms') - med('nginx-proxy', 'latency', 'p99_ms')),
    show: (v) => `${signed(v, 0)} µs`, pass: (v, bound) => v <= bound, bounds: [250, 50] },
  { metric: `requests/s ÷ nginx-proxy, SSE stream c=${conc}`, must: '≥ 0.50', target: '≥ 0.85',
    value: (t) => med(t, 'stream', 'rps') / med('nginx-proxy', 'stream', 'rps'),
    show: (v) => fixed(v, 3), pass: (v, bound) => v >= bound, bounds: [0.5, 0.85] },
];

function verdict(passMust, passTarget) {
  if (passTarget) return 'meets target';
  return passMust ? 'meets must, not target' : '**FAILS must**';
}

function goalRows(t) {
  const rows = goals.map((g) => {
    const v = g.value(t);
    if (Number.isNaN(v)) return `| ${g.metric} | not measured | ${g.must} | ${g.target} | — |`;
    return `| ${g.metric} | ${g.show(v)} | ${g.must} | ${g.target} | ${verdict(g.pass(v, g.bounds[0]), g.pass(v, g.bounds[1]))} |`;
  });
  const measured = modes.filter((m) => ran(t, m));
  const perMode = measured.map((m) => `${m} ${errorsOf(t, m)}`).join(' · ');
  const clean = measured.every((m) => errorsOf(t, m) === 0);
  rows.push(`| errors (non-2xx + socket), every mode | ${perMode || 'not measured'} | 0 | 0 | ${
    measured.length ? verdict(clean, clean) : '—'} |`);
  const idle = num(targets.find((x) => x.target === t)?.rss_idle_kb);
  const after = num(runs.filter((r) => r.target === t).at(-1)?.rss_kb);
  const rssPass = (idleMax, afterMax) => idle / 1024 <= idleMax && after / 1024 <= afterMax;
  rows.push(`| RSS idle / after the run | ${mib(idle)} / ${mib(after)} MiB | ≤ 32 / 64 MiB | ≤ 16 / 32 MiB | ${
    Number.isNaN(after) || !idle ? '—' : verdict(rssPass(32, 64), rssPass(16, 32))} |`);
  return rows;
}

// --- the document ------------------------------------------------------------------------------
const out = [];
out.push(`# llmux benchmark, ${meta.date}`, '');
out.push(`- machine: ${meta.machine}`);
out.push(`- commit: ${meta.commit}`);
out.push(`- placement: ${meta.placement}`);
out.push(`- rounds: ${meta.rounds}, every target runs every mode in each round, targets alternating; the tables show medians over rounds`);
out.push(`- modes: ${meta.mode_notes}`);
out.push(`- targets: ${targets.map((t) => `${t.target} = ${t.desc}`).join('; ')}`);
if (meta.skipped) out.push(`- skipped: ${meta.skipped}`);
out.push(`- load average before the run: ${meta.load_before}`);
out.push('');
// The direct target runs nothing on SUT_CPU: if that core was busy during its runs, something
// outside the benchmark was competing with the targets, and every number here is suspect.
const foreign = median(runs.filter((r) => r.target === 'direct').map((r) => num(r.sut_cpu_pct)));
if (meta.placement.includes('taskset') && foreign > 10) {
  out.push(`> **Warning:** the target's CPU was ${foreign.toFixed(0)} % busy while only the direct target ` +
    '(which uses no process there) was measured: other work was running on this machine, so these ' +
    'numbers are not trustworthy. Rerun on a quiet machine.', '');
}

const measuredTargets = targets.map((t) => t.target);
const candidates = measuredTargets.filter((t) => !references.includes(t));
if (!measuredTargets.includes('nginx-proxy')) {
  out.push('No nginx-proxy row in this run, so there is no goals table: the goals are ratios to it.', '');
} else {
  for (const t of candidates) {
    out.push(`## Goals: ${t} against nginx-proxy`, '');
    out.push('| metric | value | must | target | verdict |', '|---|--:|--:|--:|---|');
    out.push(...goalRows(t), '');
  }
}

out.push('## Medians', '');
out.push('| target | mode | conns | req/s | req/s min–max | p50 ms | p90 ms | p99 ms | errors | load cpu % | SUT cpu % | target CPU µs/req | RSS idle → after (peak so far) MiB |');
out.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
for (const t of measuredTargets) {
  const idle = num(targets.find((x) => x.target === t).rss_idle_kb);
  for (const m of modes) {
    const rows = rowsOf(t, m);
    if (!rows.length) continue;
    const rps = rows.map((r) => num(r.rps));
    const rss = idle ? `${mib(idle)} → ${mib(num(rows.at(-1).rss_kb))} (${mib(num(rows.at(-1).rss_peak_kb))})` : 'n/a';
    out.push(`| ${t} | ${m} | ${rows[0].conns} | ${fixed(median(rps), 0)} | ${fixed(Math.min(...rps), 0)}–${fixed(Math.max(...rps), 0)} | ${
      fixed(med(t, m, 'p50_ms'), 3)} | ${fixed(med(t, m, 'p90_ms'), 3)} | ${fixed(med(t, m, 'p99_ms'), 3)} | ${errorsOf(t, m)} | ${
      fixed(med(t, m, 'load_cpu_pct'), 0)} | ${fixed(med(t, m, 'sut_cpu_pct'), 0)} | ${fixed(med(t, m, 'target_cpu_us_per_req'), 1)} | ${rss} |`);
  }
}
out.push('');

out.push('## Ratios to the references (medians)', '');
out.push('| target | mode | req/s ÷ nginx-proxy | CPU/req ÷ nginx-proxy | p50 − direct µs | p99 − direct µs | p50 − nginx-proxy µs | p99 − nginx-proxy µs |');
out.push('|---|---|--:|--:|--:|--:|--:|--:|');
const diffUs = (t, ref, m, col) => 1000 * (med(t, m, col) - med(ref, m, col));
for (const t of measuredTargets) {
  for (const m of modes) {
    if (!ran(t, m)) continue;
    out.push(`| ${t} | ${m} | ${fixed(med(t, m, 'rps') / med('nginx-proxy', m, 'rps'), 3)} | ${
      fixed(med(t, m, 'target_cpu_us_per_req') / med('nginx-proxy', m, 'target_cpu_us_per_req'), 2)} | ${
      signed(diffUs(t, 'direct', m, 'p50_ms'), 0)} | ${signed(diffUs(t, 'direct', m, 'p99_ms'), 0)} | ${
      signed(diffUs(t, 'nginx-proxy', m, 'p50_ms'), 0)} | ${signed(diffUs(t, 'nginx-proxy', m, 'p99_ms'), 0)} |`);
  }
}
out.push('');

if (measuredTargets.some((t) => ran(t, 'paced'))) {
  out.push(`## Paced stream (${meta.paced}): time to first event and gaps between events`, '');
  out.push('| target | streams/s | TTFT p50 ms | TTFT p99 ms | TTFT p50 − nginx-proxy µs | gap p50 ms | gap p99 ms | whole stream p50 ms | errors |');
  out.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const t of measuredTargets) {
    if (!ran(t, 'paced')) continue;
    out.push(`| ${t} | ${fixed(med(t, 'paced', 'rps'), 1)} | ${fixed(med(t, 'paced', 'ttft_p50_ms'), 3)} | ${
      fixed(med(t, 'paced', 'ttft_p99_ms'), 3)} | ${signed(diffUs(t, 'nginx-proxy', 'paced', 'ttft_p50_ms'), 0)} | ${
      fixed(med(t, 'paced', 'gap_p50_ms'), 3)} | ${fixed(med(t, 'paced', 'gap_p99_ms'), 3)} | ${
      fixed(med(t, 'paced', 'p50_ms'), 1)} | ${errorsOf(t, 'paced')} |`);
  }
  out.push('');
}

if (measuredTargets.some((t) => ran(t, 'inflight'))) {
  const inflight = Number(meta.inflight);
  out.push(`## In flight: ${inflight} connections against the ${meta.slow_delay_s} s mock`, '');
  out.push(`Ideal: ${inflight / Number(meta.slow_delay_s)} req/s with p99 ≈ ${meta.slow_delay_s} s. Memory per request in flight = (peak RSS − idle RSS) ÷ ${inflight}.`, '');
  out.push('| target | req/s | ÷ ideal | ÷ direct | p50 ms | p99 ms | errors | RSS idle → peak MiB | KiB per request in flight |');
  out.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const t of measuredTargets) {
    if (!ran(t, 'inflight')) continue;
    const idle = num(targets.find((x) => x.target === t).rss_idle_kb);
    const peak = median(rowsOf(t, 'inflight').map((r) => num(r.rss_peak_kb)));
    const rps = med(t, 'inflight', 'rps');
    out.push(`| ${t} | ${fixed(rps, 0)} | ${fixed(rps / (inflight / Number(meta.slow_delay_s)), 3)} | ${
      fixed(rps / med('direct', 'inflight', 'rps'), 3)} | ${
      fixed(med(t, 'inflight', 'p50_ms'), 1)} | ${fixed(med(t, 'inflight', 'p99_ms'), 1)} | ${errorsOf(t, 'inflight')} | ${
      idle ? `${mib(idle)} → ${mib(peak)}` : 'n/a'} | ${idle ? fixed((peak - idle) / inflight, 1) : 'n/a'} |`);
  }
  out.push('');
}

out.push('Raw tool output: raw/r<round>-<target>-<mode>.txt; one row per run: runs.tsv.');
writeFileSync(path.join(dir, 'summary.md'), out.join('\n') + '\n');
