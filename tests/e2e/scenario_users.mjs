// End-to-end scenario for users: the OFFICIAL Pipedrive Node SDK, unchanged, as the admin
// adds a user, who calls with an API token of their own (printed by `dealbase user token`,
// as a user would get it), and is then deactivated:
//
//   UsersApi.addUser (admin) → the new user, active, not an admin: the regular permission sets
//   `dealbase user token EMAIL` prints the user's token; getCurrentUser with it is them
//   the user adds a deal (theirs); their addUser is Pipedrive's 403
//   findUsersByName finds them by name and by e-mail address
//   UsersApi.updateUser active_flag false → their very next call is Pipedrive's 401
//   their deal stays, theirs; getUserSettings and getUserConnections answer
//
// Environment (besides support.mjs's): DEALBASE_PYTHON and DEALBASE_DATABASE_URL, for the CLI
// (support.mjs: cliUserToken).

import { v1, v2 } from 'pipedrive';
import {
  V1_SDK, V2_BASE, V2_SDK, apiToken, attempt, baseUrl, cliUserToken, dataOf, eq, lastStatus, instrument, ok, run, runTag,
  sdk, step,
} from './support.mjs';

const ERROR_INFO = 'Please check developers.pipedrive.com';
const NOT_ALLOWED_403 = {
  success: false, error: 'You do not have permissions to do this.', error_info: ERROR_INFO, data: null, additional_data: null,
};
const UNAUTHORIZED_401 = { success: false, error: 'unauthorized access', errorCode: 401, error_info: ERROR_INFO };
const summary = {};

const v1Config = (token) => new v1.Configuration({ apiKey: token, basePath: `${baseUrl}/api/v1` });
const v2Config = (token) => new v2.Configuration({ apiKey: token, basePath: V2_BASE });

async function expectRejected(fn, status, body, what) {
  const res = await attempt(fn);
  ok(!res.ok, `${what}: expected a ${status}, the call succeeded`, res.value);
  eq(lastStatus(), status, `${what}: HTTP status`);
  eq(res.rejection, body, `${what}: body`);
}

async function main() {
  console.log(`dealbase e2e users scenario against ${baseUrl}`);
  const admin = instrument(new v1.UsersApi(v1Config(apiToken)), V1_SDK);
  const email = `bo-${runTag}@example.com`;

  step('the admin adds a user');
  const added = dataOf(await sdk('addUser', () => admin.addUser({ AddUserRequest: { email } })), 'addUser');
  eq(added.email, email, 'addUser: email');
  eq(added.active_flag, true, 'addUser: active_flag');
  // not given access: the regular sets of sales and global, as getPermissionSets lists them
  const sets = instrument(new v1.PermissionSetsApi(v1Config(apiToken)), V1_SDK);
  const listed = dataOf(await sdk('getPermissionSets', () => sets.getPermissionSets()), 'getPermissionSets');
  const regular = (app) => listed.find((s) => s.app === app && s.type === 'regular')?.id;
  eq(added.access, [
    { app: 'sales', admin: false, permission_set_id: regular('sales') },
    { app: 'global', admin: false, permission_set_id: regular('global') },
  ], 'addUser: access');
  eq(added.role_id, 1, 'addUser: role_id (the default role)');
  eq(added.is_you, false, 'addUser: is_you');

  step('the CLI prints their token; with it the SDK is them');
  const token = cliUserToken(email);
  const asBo = instrument(new v1.UsersApi(v1Config(token)), V1_SDK);
  const me = dataOf(await sdk('getCurrentUser (new user)', () => asBo.getCurrentUser()), 'getCurrentUser');
  eq(me.id, added.id, 'users/me with the new token: the new user');
  eq(me.is_you, true, 'users/me: is_you');
  const deal = dataOf(await sdk('addDeal (new user)', () => instrument(new v2.DealsApi(v2Config(token)), V2_SDK)
    .addDeal({ AddDealRequest: { title: `Bo's deal ${runTag}` } })), 'addDeal');
  eq(deal.owner_id, added.id, 'the new user owns the deal they add');
  await expectRejected(() => asBo.addUser({ AddUserRequest: { email: `nope-${runTag}@example.com` } }), 403,
    NOT_ALLOWED_403, 'addUser by a user who is no admin');

  step('findUsersByName finds them by name and by address');
  const byName = dataOf(await sdk('findUsersByName', () => admin.findUsersByName({ term: `bo-${runTag}` })), 'find');
  eq(byName.map((u) => u.id), [added.id], 'findUsersByName: the new user');
  const byEmail = dataOf(await sdk('findUsersByName (e-mail)', () => admin.findUsersByName({
    term: 'example.com', search_by_email: 1,
  })), 'find by e-mail');
  ok(byEmail.some((u) => u.id === added.id), 'findUsersByName by e-mail: the new user', byEmail.map((u) => u.id));

  step('the admin deactivates them: their next call is a 401, their deal stays theirs');
  const changed = dataOf(await sdk('updateUser', () => admin.updateUser({
    id: added.id, UpdateUserRequest: { active_flag: false },
  })), 'updateUser');
  eq(changed.active_flag, false, 'updateUser: active_flag');
  await expectRejected(() => asBo.getCurrentUser(), 401, UNAUTHORIZED_401, 'getCurrentUser (deactivated)');
  const kept = dataOf(await sdk('getDeal (admin)', () => instrument(new v2.DealsApi(v2Config(apiToken)), V2_SDK)
    .getDeal({ id: deal.id })), 'getDeal');
  eq(kept.owner_id, added.id, 'the deal is still theirs');

  step('the caller\'s settings and connections');
  const settings = dataOf(await sdk('getUserSettings', () => instrument(new v1.UserSettingsApi(v1Config(apiToken)), V1_SDK)
    .getUserSettings()), 'getUserSettings');
  eq(settings.list_limit, 100, 'getUserSettings: list_limit');
  const connections = await sdk('getUserConnections', () => instrument(
    new v1.UserConnectionsApi(v1Config(apiToken)), V1_SDK,
  ).getUserConnections());
  eq(connections.success, true, 'getUserConnections: success');

  Object.assign(summary, { user: added.id, deal: deal.id });
}

await run(main, summary);
