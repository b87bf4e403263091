// Every wire dialect the mock speaks, tried in order; each is { name, route(method, url) → route
// or null, respond(exchange, { route, url, headers, body }) }. A dialect scripts its behaviour
// from the upstream model name (behaviours.mjs) and answers through answer.mjs.
import { openai } from './openai.mjs';
import { anthropic } from './anthropic.mjs';
import { azure } from './azure.mjs';
import { gemini } from './gemini.mjs';
import { ollama } from './ollama.mjs';

export const kDialects = [openai, anthropic, azure, gemini, ollama];
