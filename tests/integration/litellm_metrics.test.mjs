// GET /metrics exposes LiteLLM's Prometheus metrics (names, types, labels), checked by Debian's
// promtool and sample by sample after known calls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import { checkedMetrics, samples, total } from '../support/prometheus.mjs';
import { startStack, postJson, modelEntry, kHello, kMasterKey } from '../support/stack.mjs';

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const kMasterHash = sha256(kMasterKey);
const kInputCost = 0.5;
const kOutputCost = 2;

let stack;
before(async () => {
  stack = await startStack({
    extraModelsFor: (mockUrl) => [
      modelEntry('priced', 'gpt-4o-upstream', `${mockUrl}/v1`, {
        input_cost_per_token: kInputCost, output_cost_per_token: kOutputCost,
      }),
    ],
  });
});
after(() => stack?.stop());

test('known calls show in LiteLLM\'s metrics, and promtool accepts the exposition', async () => {
  const ok = await postJson(stack.url, '/v1/chat/completions', { model: 'priced', messages: kHello });
  const okBody = await ok.json();
  assert.equal(ok.status, 200);
  const streamed = await postJson(stack.url, '/v1/chat/completions', {
    model: 'priced', messages: kHello, stream: true, stream_options: { include_usage: true },
  });
  assert.equal(streamed.status, 200);
  const streamUsage = (await streamed.text()).split('\n')
    .filter((line) => line.startsWith('data: {')).map((line) => JSON.parse(line.slice(6)).usage)
    .find((usage) => usage);
  assert.ok(streamUsage, 'the stream carries usage');
  const failed = await postJson(stack.url, '/v1/chat/completions', { model: 'broken', messages: kHello });
  assert.equal(failed.status, 500);
  await failed.text();
  const refused = await postJson(stack.url, '/v1/chat/completions', { model: 'priced', messages: kHello },
    { auth: { Authorization: 'Bearer sk-not-a-key' } });
  assert.equal(refused.status, 401);
  await refused.text();

  const text = await checkedMetrics(stack.url);

  const priced = { hashed_api_key: kMasterHash, requested_model: 'priced', model_id: 'deployment-priced' };
  assert.equal(total(text, 'litellm_proxy_total_requests_metric_total', { ...priced, status_code: '200' }), 2);
  assert.equal(total(text, 'litellm_proxy_total_requests_metric_total',
    { requested_model: 'broken', status_code: '500' }), 1);
  assert.deepEqual(samples(text, 'litellm_proxy_failed_requests_metric_total', { requested_model: 'broken' })
    .map(({ labels }) => [labels.exception_status, labels.exception_class, labels.hashed_api_key]),
  [['500', 'Openai.InternalServerError', kMasterHash]]);
  // A caller the gateway did not recognise is counted without a key.
  assert.deepEqual(samples(text, 'litellm_proxy_failed_requests_metric_total', { exception_status: '401' })
    .map(({ labels }) => [labels.exception_class, labels.hashed_api_key]), [['AuthenticationError', 'None']]);
  assert.equal(text.includes(sha256('sk-not-a-key')), false);
  assert.equal(text.includes(kMasterKey), false);

  const pricedCall = { hashed_api_key: kMasterHash, model: 'gpt-4o-upstream', model_id: 'deployment-priced' };
  assert.equal(total(text, 'litellm_requests_metric_total', { ...pricedCall, api_provider: 'openai' }), 2);
  const prompt = okBody.usage.prompt_tokens + streamUsage.prompt_tokens;
  const completion = okBody.usage.completion_tokens + streamUsage.completion_tokens;
  assert.equal(total(text, 'litellm_input_tokens_metric_total', pricedCall), prompt);
  assert.equal(total(text, 'litellm_output_tokens_metric_total', pricedCall), completion);
  assert.equal(total(text, 'litellm_total_tokens_metric_total', pricedCall), prompt + completion);
  const spend = total(text, 'litellm_spend_metric_total', pricedCall);
  assert.ok(Math.abs(spend - (prompt * kInputCost + completion * kOutputCost)) < 1e-9, `spend ${spend}`);

  const deployment = {
    litellm_model_name: 'openai/gpt-4o-upstream', model_id: 'deployment-priced', api_provider: 'openai',
  };
  assert.equal(total(text, 'litellm_deployment_success_responses_total', deployment), 2);
  assert.equal(total(text, 'litellm_deployment_total_requests_total', deployment), 2);
  assert.equal(total(text, 'litellm_deployment_failure_responses_total',
    { model_id: 'deployment-broken', exception_status: '500' }), 1);
  assert.equal(total(text, 'litellm_deployment_state', { model_id: 'deployment-priced' }), 0);
  assert.equal(total(text, 'litellm_deployment_state', { model_id: 'deployment-broken' }), 1);
  assert.equal(samples(text, 'litellm_deployment_state').length, stack.config.model_list.length);

  // Histograms: LiteLLM's buckets, cumulative, one observation per call.
  const latency = samples(text, 'litellm_request_total_latency_metric_bucket', { requested_model: 'priced' });
  assert.deepEqual(latency.map(({ labels }) => labels.le), ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25',
    '0.5', '1.0', '2.0', '5.0', '10.0', '30.0', '60.0', '120.0', '300.0', '420.0', '600.0', '+Inf']);
  assert.equal(latency.at(-1).value, 2);
  for (let i = 1; i < latency.length; ++i) assert.ok(latency[i].value >= latency[i - 1].value);
  assert.equal(total(text, 'litellm_request_total_latency_metric_count', { requested_model: 'priced' }), 2);
  assert.equal(total(text, 'litellm_llm_api_latency_metric_count', { model_id: 'deployment-priced' }), 2);
  assert.equal(total(text, 'litellm_overhead_latency_metric_count',
    { model_group: 'priced', model_id: 'deployment-priced' }), 2);
  assert.equal(total(text, 'litellm_llm_api_time_to_first_token_metric_count',
    { model_id: 'deployment-priced' }), 1);
  assert.ok(total(text, 'litellm_request_total_latency_metric_sum', { requested_model: 'priced' }) > 0);

  // llmux's own names stay.
  assert.match(text, /^llmux_requests_total\{endpoint="chat_completions",status="2xx"\} 2$/m);
});
