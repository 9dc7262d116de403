// End-to-end scenario for OAuth 2.0: an app made with `dealbase app create`
// (by test_node_sdk.py, scopes deals:read and contacts:read) goes through the
// authorization-code flow, and the OFFICIAL Pipedrive Node SDK, unchanged,
// calls with its access token (`Authorization: Bearer`) through its own
// OAuth2Configuration:
//
//   the user approves (POST /oauth/authorize, the user's API token in x-api-token)
//   OAuth2Configuration.authorize(code) exchanges the code (POST /oauth/token)
//   v2 and v1 (current and classic SDK) read with the access token
//   a token without deals:full gets Pipedrive's 403 on POST /api/v2/deals
//   tokenRefresh() gives a new working access token
//   once expires_in has passed, the access token gets Pipedrive's 401
//   revokeToken('refresh_token') uninstalls: the refresh token stops working
//
// Environment (besides support.mjs's):
//   DEALBASE_OAUTH_CLIENT_ID, DEALBASE_OAUTH_CLIENT_SECRET, DEALBASE_OAUTH_REDIRECT_URI
//   DEALBASE_OAUTH_TOKEN_SECONDS  the server's access-token lifetime (short, to see it expire)

import { v1, v2 } from 'pipedrive';
import { v1 as classicV1 } from 'pipedrive-classic';
import {
  CLASSIC_SDK_VERSION, SDK_VERSION, V2_BASE, apiToken, attempt, baseUrl, dataOf, eq, fail, instrument, lastStatus,
  ok, run, runTag, sdk, step,
} from './support.mjs';

const clientId = process.env.DEALBASE_OAUTH_CLIENT_ID;
const clientSecret = process.env.DEALBASE_OAUTH_CLIENT_SECRET;
const redirectUri = process.env.DEALBASE_OAUTH_REDIRECT_URI;
const lifetime = Number(process.env.DEALBASE_OAUTH_TOKEN_SECONDS);
if (!clientId || !clientSecret || !redirectUri || !lifetime) {
  console.error('scenario_oauth: set DEALBASE_OAUTH_CLIENT_ID, _CLIENT_SECRET, _REDIRECT_URI and _TOKEN_SECONDS');
  process.exit(2);
}

const V2_SDK = `pipedrive@${SDK_VERSION} v2`;
const V1_SDK = `pipedrive@${SDK_VERSION} v1`;
const CLASSIC_SDK = `pipedrive@${CLASSIC_SDK_VERSION} v1`;
const ERROR_INFO = 'Please check developers.pipedrive.com';
const SCOPE_403 = { success: false, error: 'Scope and URL mismatch', errorCode: 403, error_info: ERROR_INFO };
const INVALID_401 = {
  success: false, error: 'Invalid token: access_token is invalid', errorCode: 401, error_info: ERROR_INFO,
};

const oauthParams = { clientId, clientSecret, redirectUri, host: baseUrl };
const summary = {};

// What a browser does on "Allow and install": the form's answer, a redirect to the callback.
async function approve(state) {
  const response = await fetch(`${baseUrl}/oauth/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'x-api-token': apiToken, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, state }),
  });
  eq(response.status, 302, 'POST /oauth/authorize: status');
  const location = new URL(response.headers.get('location'));
  eq(`${location.origin}${location.pathname}`, redirectUri, 'the redirect goes to the registered callback');
  eq(location.searchParams.get('state'), state, 'the redirect carries the state');
  const code = location.searchParams.get('code');
  ok(code, 'the redirect carries a code', location.href);
  return code;
}

async function expectRejected(fn, status, body, what) {
  const res = await attempt(fn);
  ok(!res.ok, `${what}: expected a ${status}, the call succeeded`, res.value);
  eq(lastStatus(), status, `${what}: HTTP status`);
  eq(res.rejection, body, `${what}: body`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  console.log(`dealbase e2e OAuth scenario against ${baseUrl}`);
  const withApiToken = new v2.Configuration({ apiKey: apiToken, basePath: V2_BASE });
  const seeded = dataOf(await sdk('addDeal (API token)', () => instrument(new v2.DealsApi(withApiToken), V2_SDK)
    .addDeal({ AddDealRequest: { title: `OAuth seen ${runTag}` } })), 'addDeal');
  const me = dataOf(await sdk('getCurrentUser (API token)', () => instrument(
    new v1.UsersApi(new v1.Configuration({ apiKey: apiToken, basePath: `${baseUrl}/api/v1` })), V1_SDK,
  ).getCurrentUser()), 'getCurrentUser');

  step('the user approves the app; the SDK exchanges the code for tokens');
  const code = await approve(`st-${runTag}`);
  const oauth = instrument(new v2.OAuth2Configuration(oauthParams), `${V2_SDK} OAuth2Configuration`);
  const tokens = await sdk('authorize', () => oauth.authorize(code));
  eq(tokens.token_type, 'Bearer', 'token_type');
  eq(tokens.scope, 'base,deals:read,contacts:read', 'scope');
  eq(tokens.expires_in, lifetime, 'expires_in');
  eq(tokens.api_domain, baseUrl, 'api_domain');
  ok(typeof tokens.access_token === 'string' && tokens.access_token.length >= 40, 'access_token', tokens.access_token);
  eq(oauth.accessToken, tokens.access_token, 'the SDK holds the access token');
  eq(oauth.basePath, V2_BASE, 'the SDK points v2 at api_domain');
  const reused = await attempt(() => oauth.authorize(code));
  ok(!reused.ok, 'a code works once', reused.value);
  eq(lastStatus(), 400, 'reused code: HTTP status');
  eq(reused.rejection.error, 'invalid_grant', 'reused code: error');
  eq(reused.rejection.message, 'Invalid grant: authorization_code is invalid', 'reused code: message');

  step('v2 with the access token: deals and persons');
  const deals = instrument(new v2.DealsApi(oauth), V2_SDK);
  const listed = dataOf(await sdk('getDeals (Bearer)', () => deals.getDeals({ limit: 500 })), 'getDeals');
  ok(listed.some((d) => d.id === seeded.id), 'getDeals with the access token lists the seeded deal', listed.map((d) => d.id));
  const one = dataOf(await sdk('getDeal (Bearer)', () => deals.getDeal({ id: seeded.id })), 'getDeal');
  eq(one.title, `OAuth seen ${runTag}`, 'getDeal: title');
  await sdk('getPersons (Bearer)', () => instrument(new v2.PersonsApi(oauth), V2_SDK).getPersons());

  step('v1 with the access token: the current SDK and the classic one');
  const v1oauth = new v1.OAuth2Configuration(oauthParams);
  v1oauth.updateToken(tokens);
  eq(v1oauth.basePath, `${baseUrl}/api/v1`, 'the v1 SDK points at api_domain');
  const user = dataOf(await sdk('getCurrentUser (Bearer)', () => instrument(new v1.UsersApi(v1oauth), V1_SDK)
    .getCurrentUser()), 'getCurrentUser');
  eq(user.id, me.id, 'users/me with the access token: the approving user');
  const classic = new classicV1.OAuth2Configuration(oauthParams);
  classic.updateToken(tokens);
  const v1deals = dataOf(await sdk('classic getDeals (Bearer)', () => instrument(new classicV1.DealsApi(classic), CLASSIC_SDK)
    .getDeals({ limit: 500 })), 'classic getDeals');
  ok(v1deals.some((d) => d.id === seeded.id), 'v1 getDeals lists the seeded deal', v1deals.map((d) => d.id));

  step('without deals:full, POST /api/v2/deals is a 403');
  await expectRejected(() => deals.addDeal({ AddDealRequest: { title: 'Not allowed' } }), 403, SCOPE_403, 'addDeal (deals:read)');

  step('refresh gives a new working access token');
  const fresh = await sdk('tokenRefresh', () => oauth.tokenRefresh());
  ok(fresh.access_token && fresh.access_token !== tokens.access_token, 'a new access token', fresh.access_token);
  eq(fresh.refresh_token, tokens.refresh_token, 'the same refresh token, as Pipedrive returns it');
  eq(oauth.accessToken, fresh.access_token, 'the SDK holds the new access token');
  const refreshedAt = Date.now();
  await sdk('getDeal (refreshed token)', () => deals.getDeal({ id: seeded.id }));

  step(`after expires_in (${lifetime} s) the access token is a 401`);
  await sleep(Math.max(0, refreshedAt + (lifetime + 1.5) * 1000 - Date.now()));
  await expectRejected(() => deals.getDeal({ id: seeded.id }), 401, INVALID_401, 'getDeal (expired token)');

  step('revoking the refresh token uninstalls the app');
  await sdk('revokeToken', () => oauth.revokeToken('refresh_token'));
  const after = await attempt(() => oauth.tokenRefresh());
  if (after.ok) fail('tokenRefresh after revocation: expected a 400, the call succeeded', { value: after.value });
  eq(lastStatus(), 400, 'refresh after revocation: HTTP status');
  eq(after.rejection.message, 'Invalid grant: refresh_token is invalid', 'refresh after revocation: message');

  summary.scope = tokens.scope;
  summary.api_domain = tokens.api_domain;
}

await run(main, summary);
