// Shared by the end-to-end scenarios: configuration from the environment,
// instrumentation of the SDK's HTTP exchanges, assertions, and the runner
// that prints the verdict.
//
// Environment:
//   DEALBASE_URL        server root, e.g. http://127.0.0.1:8000 (no /api/v2)
//   DEALBASE_API_TOKEN  the API token (sent by the SDK as `x-api-token`)
//   DEALBASE_CONTROL_TOKEN  instead of an API token, for a scenario that makes its
//                       companies (and their tokens) through the control plane

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

// (the packages' exports maps do not expose package.json)
const installedVersion = (name) =>
  JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
export const SDK_VERSION = installedVersion('pipedrive');
export const CLASSIC_SDK_VERSION = installedVersion('pipedrive-classic');

export const baseUrl = (process.env.DEALBASE_URL || '').replace(/\/+$/, '');
export const apiToken = process.env.DEALBASE_API_TOKEN || '';
export const controlToken = process.env.DEALBASE_CONTROL_TOKEN || '';
if (!baseUrl || !(apiToken || controlToken)) {
  console.error('scenario: set DEALBASE_URL (e.g. http://127.0.0.1:8000) and DEALBASE_API_TOKEN (or DEALBASE_CONTROL_TOKEN)');
  process.exit(2);
}
// The names exchanges are recorded under (`instrument`).
export const V2_SDK = `pipedrive@${SDK_VERSION} v2`;
export const V1_SDK = `pipedrive@${SDK_VERSION} v1`;
export const CLASSIC_SDK = `pipedrive@${CLASSIC_SDK_VERSION} v1`;
export const V2_BASE = `${baseUrl}/api/v2`;
export const V1_BASE = `${baseUrl}/v1`;
export const runTag = Math.random().toString(16).slice(2, 8);

// ------------------------------------------------------- instrumentation
// The SDK turns every response into its body and every error into the error
// body, so the HTTP exchange is recorded on each API object's (public) axios
// instance to be able to say exactly what was sent and what came back.

let lastExchange = null;
let requestCount = 0;

export function instrument(api, sdkName) {
  api.axios.interceptors.request.use((config) => {
    requestCount += 1;
    lastExchange = {
      sdk: sdkName,
      method: String(config.method || 'get').toUpperCase(),
      url: config.url,
      requestBody: config.data,
      status: null,
      responseBody: undefined,
    };
    return config;
  });
  // transformResponse runs before the SDK's interceptors and gets the status.
  const existing = api.axios.defaults.transformResponse;
  api.axios.defaults.transformResponse = [].concat(existing || [], (data, _headers, status) => {
    if (lastExchange) {
      lastExchange.status = status;
      lastExchange.responseBody = data;
    }
    return data;
  });
  return api;
}

// ------------------------------------------------------------ assertions

export class ScenarioFailure extends Error {
  constructor(message, details) {
    super(message);
    this.details = details;
  }
}

let currentStep = '(start)';
let checks = 0;

export function step(name) {
  currentStep = name;
  console.log(`- ${name}`);
}

export function fail(message, details = {}) {
  throw new ScenarioFailure(message, details);
}

export function ok(condition, what, actual) {
  if (!condition) fail(what, actual === undefined ? {} : { actual });
  checks += 1;
}

export function eq(actual, expected, what) {
  if (!deepEqual(actual, expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`, { expected, actual });
  checks += 1;
}

export function deepEqual(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function show(v) {
  const s = JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

// v2 timestamps are RFC 3339 (`2026-01-31T12:34:56Z`); v1 ones are
// `YYYY-MM-DD HH:MM:SS` in UTC.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const startedAt = Date.now();

export function recentV2Timestamp(value, what) {
  if (typeof value !== 'string' || !RFC3339.test(value)) {
    fail(`${what}: expected an RFC 3339 timestamp, got ${show(value)}`, { actual: value });
  }
  const t = Date.parse(value);
  // generous window: the server and this script share a clock
  if (!(t >= startedAt - 5 * 60_000 && t <= Date.now() + 5 * 60_000)) {
    fail(`${what}: timestamp ${value} is not within minutes of now (${new Date().toISOString()})`, { actual: value });
  }
  checks += 1;
  return t;
}

// Calls an SDK method; a rejection (the SDK rejects with the error body, or
// with an axios error when there is no response) is a scenario failure.
export async function sdk(label, fn) {
  try {
    return await fn();
  } catch (err) {
    const body = err && err.isAxiosError ? `${err.code || ''} ${err.message}`.trim() : err;
    fail(`${label}: the SDK call was rejected`, { rejection: body });
  }
}

// Like sdk() but returns { ok, value | rejection } instead of failing.
export async function attempt(fn) {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, rejection: err && err.isAxiosError ? `${err.code || ''} ${err.message}`.trim() : err };
  }
}

export function dataOf(response, label) {
  ok(response && typeof response === 'object', `${label}: expected a JSON object body`, response);
  eq(response.success, true, `${label}: success`);
  ok(response.data !== undefined && response.data !== null, `${label}: body has no data`, response);
  return response.data;
}


// The HTTP status of the newest exchange.
export function lastStatus() {
  return lastExchange && lastExchange.status;
}

// After a delete: the item is gone (404 in Pipedrive's error envelope).
export async function expectNotFound(fn, what) {
  const res = await attempt(fn);
  ok(!res.ok, `${what}: expected a 404, the call succeeded`, res.value);
  eq(lastStatus(), 404, `${what}: HTTP status`);
  ok(res.rejection && res.rejection.success === false, `${what}: the 404 body must be {success: false, ...}`, res.rejection);
  return res.rejection;
}

// Runs the scenario and prints the verdict (exit code 1 on failure).
export async function run(main, summary) {
  const t0 = Date.now();
  try {
    await main();
    console.log('');
    console.log('SCENARIO PASSED');
    console.log(`  SDKs: pipedrive@${SDK_VERSION} (v2), pipedrive@${CLASSIC_SDK_VERSION} (v1 classic)`);
    console.log(`  ${checks} checks, ${requestCount} HTTP requests, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const [k, v] of Object.entries(summary)) console.log(`  ${k}: ${show(v)}`);
  } catch (err) {
    console.error('');
    console.error(`SCENARIO FAILED at step: ${currentStep}`);
    if (err instanceof ScenarioFailure) {
      console.error(`  ${err.message}`);
      for (const [k, v] of Object.entries(err.details || {})) console.error(`  ${k}: ${show(v)}`);
    } else {
      console.error(err && err.stack ? err.stack : err);
    }
    if (lastExchange) {
      console.error('  last HTTP exchange:');
      console.error(`    ${lastExchange.sdk}: ${lastExchange.method} ${lastExchange.url}`);
      if (lastExchange.requestBody !== undefined) console.error(`    sent: ${String(lastExchange.requestBody).slice(0, 1000)}`);
      console.error(`    status: ${lastExchange.status === null ? '(no response)' : lastExchange.status}`);
      const rb = typeof lastExchange.responseBody === 'string' ? lastExchange.responseBody : JSON.stringify(lastExchange.responseBody);
      console.error(`    received: ${String(rb).slice(0, 2000)}`);
    }
    console.error(`  (${checks} checks passed before this, ${requestCount} HTTP requests)`);
    process.exitCode = 1;
  }

}

// A user's API token as a user gets it: printed by `dealbase user token EMAIL`, run with
// DEALBASE_PYTHON against DEALBASE_DATABASE_URL (the server's database).
export function cliUserToken(email) {
  const python = process.env.DEALBASE_PYTHON;
  const databaseUrl = process.env.DEALBASE_DATABASE_URL;
  if (!python || !databaseUrl) fail('set DEALBASE_PYTHON and DEALBASE_DATABASE_URL to ask the CLI for a token');
  const token = execFileSync(python, ['-m', 'dealbase', 'user', 'token', email, '--database-url', databaseUrl], {
    encoding: 'utf8',
  }).trim();
  ok(/^[0-9a-f]{40}$/.test(token), 'dealbase user token prints a 40-hex token', token);
  return token;
}

// A webhook receiver on 127.0.0.1: each request, `{ path, headers, body, at }` (the body parsed
// when it is JSON), goes to `onRequest`, and is answered 200. Resolves to the started server.
export function listen(onRequest) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body;
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      onRequest({ path: req.url, headers: req.headers, body, at: Date.now() });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
