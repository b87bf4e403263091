// Runs the openai SDK in a process of its own, so it can be given its environment at start
// (NODE_EXTRA_CA_CERTS: the CA of a gateway serving HTTPS). argv[2]: the base URL, argv[3]: the
// API key, argv[4]: the model. Prints one JSON line: a whole completion's content and a stream's
// joined content and chunk count, or the error the SDK raised.
import OpenAI from 'openai';

const [baseURL, apiKey, model] = process.argv.slice(2);
const openai = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 10_000 });
const messages = [{ role: 'user', content: 'Say hello.' }];
try {
  const completion = await openai.chat.completions.create({ model, messages });
  const stream = await openai.chat.completions.create({ model, messages, stream: true });
  let streamed = '';
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    streamed += chunk.choices[0]?.delta?.content ?? '';
  }
  console.log(JSON.stringify({ content: completion.choices[0].message.content, streamed, chunks }));
} catch (error) {
  // The reason a connection failed is a code down the chain of causes.
  const reasons = [];
  for (let cause = error; cause; cause = cause.cause) reasons.push(cause.code ?? cause.message);
  console.log(JSON.stringify({ error: error.constructor.name, message: reasons.join(' <- ') }));
}
