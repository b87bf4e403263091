// How much longer the tests wait for the gateway when it runs slower on purpose: LLMUX_TIME_SCALE
// (the sanitized build's integration tier sets it, fuzz/CMakeLists.txt), 1 otherwise. Only waits
// for an event are scaled (a readiness probe, `eventually`, a stream's deadline); what a test
// measures against the gateway's own settings is not.
export const kTimeScale = (() => {
  const text = process.env.LLMUX_TIME_SCALE;
  if (text === undefined || text === '') return 1;
  const scale = Number(text);
  if (!(scale >= 1)) throw new Error(`LLMUX_TIME_SCALE must be a number >= 1, not "${text}"`);
  return scale;
})();

export const scaled = (ms) => ms * kTimeScale;
