// Reading llmux's /metrics in tests: one series' value, or its value once it has settled.

export async function metricValue(url, series) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : undefined;
}

// A logging callback's counters move a moment after its destination saw the batch (once the
// answer, or the last attempt's failure, is in): the series is read until it reaches `expected`.
export async function settledMetric(url, series, expected) {
  let value = await metricValue(url, series);
  for (let tries = 0; value !== expected && tries < 200; ++tries) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await metricValue(url, series);
  }
  return value;
}
