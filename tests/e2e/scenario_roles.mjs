// End-to-end scenario for roles, permission sets and legacy teams: drives a running
// `dealbase serve` with the OFFICIAL Pipedrive Node SDK (v1), unchanged.
//
//   a role with a sub-role (RolesApi), the admin assigned to the sub-role, a default
//   visibility set and read back for the role and the user, a pipeline hidden from the role
//   a deal the admin then makes without visible_to gets the role's visibility (v2)
//   the permission sets, one read with its contents, the admin's aggregated permissions
//   a legacy team with the admin as manager and member, a member removed
//   the sub-role deleted: its id answers 404
//
// Environment and exit codes: see support.mjs.

import { v1, v2 } from 'pipedrive';
import { SDK_VERSION, V1_BASE, V2_BASE, apiToken, baseUrl, dataOf, eq, expectNotFound, instrument, ok, run, runTag, sdk, step } from './support.mjs';

const V1_SDK = `pipedrive@${SDK_VERSION} v1`;
const v1Config = new v1.Configuration({ apiKey: apiToken, basePath: V1_BASE });
const v2Config = new v2.Configuration({ apiKey: apiToken, basePath: V2_BASE });

const roles = instrument(new v1.RolesApi(v1Config), V1_SDK);
const users = instrument(new v1.UsersApi(v1Config), V1_SDK);
const sets = instrument(new v1.PermissionSetsApi(v1Config), V1_SDK);
const teams = instrument(new v1.LegacyTeamsApi(v1Config), V1_SDK);
const pipelines = instrument(new v2.PipelinesApi(v2Config), `pipedrive@${SDK_VERSION} v2`);
const deals = instrument(new v2.DealsApi(v2Config), `pipedrive@${SDK_VERSION} v2`);

const summary = {};

async function main() {
  console.log(`dealbase e2e roles scenario against ${baseUrl}`);
  const me = dataOf(await sdk('getCurrentUser', () => users.getCurrentUser()), 'getCurrentUser');

  step('a role and a sub-role, listed with their levels');
  const top = dataOf(await sdk('addRole', () => roles.addRole({ AddRoleRequest: { name: `Sales ${runTag}` } })), 'addRole');
  const sub = dataOf(await sdk('addRole sub', () => roles.addRole({
    AddRoleRequest: { name: `Field ${runTag}`, parent_role_id: top.id },
  })), 'addRole sub');
  const listed = dataOf(await sdk('getRoles', () => roles.getRoles({ limit: 500 })), 'getRoles');
  const shown = listed.find((r) => r.id === sub.id);
  ok(shown, 'getRoles: the sub-role is listed', listed);
  eq(shown.parent_role_id, top.id, 'getRoles: parent_role_id');
  eq(shown.level, 2, 'getRoles: level');
  eq(listed.find((r) => r.id === top.id).sub_role_count, '1', 'getRoles: sub_role_count');

  step('the admin in the sub-role, whose deals are then private by default');
  const assigned = dataOf(await sdk('addRoleAssignment', () => roles.addRoleAssignment({
    id: sub.id, AddRoleAssignmentRequest: { user_id: me.id },
  })), 'addRoleAssignment');
  eq(assigned.role_id, sub.id, 'addRoleAssignment: role_id');
  const setting = dataOf(await sdk('addOrUpdateRoleSetting', () => roles.addOrUpdateRoleSetting({
    id: sub.id, AddOrUpdateRoleSettingRequest: { setting_key: 'deal_default_visibility', value: 1 },
  })), 'addOrUpdateRoleSetting');
  eq(setting.deal_default_visibility, 1, 'addOrUpdateRoleSetting: the value');
  const mine = dataOf(await sdk('getUserRoleSettings', () => users.getUserRoleSettings({ id: me.id })), 'getUserRoleSettings');
  eq(mine.deal_default_visibility, 1, 'getUserRoleSettings: deal_default_visibility');
  const deal = dataOf(await sdk('addDeal', () => deals.addDeal({ AddDealRequest: { title: `Quiet ${runTag}` } })), 'addDeal');
  eq(deal.visible_to, 1, 'addDeal without visible_to: the role\'s default');

  step('a pipeline hidden from the sub-role');
  const pipeline = dataOf(await sdk('addPipeline', () => pipelines.addPipeline({
    AddPipelineRequest: { name: `Hidden ${runTag}` },
  })), 'addPipeline');
  const visible = dataOf(await sdk('updateRolePipelines', () => roles.updateRolePipelines({
    id: sub.id, PutRolePipelinesBody: { visible_pipeline_ids: { remove: [pipeline.id] } },
  })), 'updateRolePipelines');
  ok(!visible.pipeline_ids.includes(pipeline.id), 'updateRolePipelines: the pipeline is no longer visible', visible);
  const hidden = dataOf(await sdk('getRolePipelines', () => roles.getRolePipelines({ id: sub.id, visible: false })), 'getRolePipelines');
  eq(JSON.stringify(hidden.pipeline_ids), JSON.stringify([pipeline.id]), 'getRolePipelines visible=false');

  step('permission sets and the admin\'s permissions');
  const salesSets = dataOf(await sdk('getPermissionSets', () => sets.getPermissionSets({ app: 'sales' })), 'getPermissionSets');
  const regular = salesSets.find((s) => s.type === 'regular');
  ok(regular && /^[0-9a-f-]{36}$/.test(regular.id), 'getPermissionSets: a regular sales set with a UUID id', salesSets);
  const one = dataOf(await sdk('getPermissionSet', () => sets.getPermissionSet({ id: regular.id })), 'getPermissionSet');
  ok(Array.isArray(one.contents) && !one.contents.includes('can_delete_deals'), 'getPermissionSet: contents', one);
  const permissions = dataOf(await sdk('getUserPermissions', () => users.getUserPermissions({ id: me.id })), 'getUserPermissions');
  eq(permissions.can_delete_deals, true, 'getUserPermissions: an admin may delete deals');

  step('a legacy team, its members');
  const team = dataOf(await sdk('addTeam', () => teams.addTeam({
    AddTeamRequest1: { name: `Team ${runTag}`, manager_id: me.id, users: [me.id] },
  })), 'addTeam');
  eq(JSON.stringify(team.users), JSON.stringify([me.id]), 'addTeam: users');
  const mineTeams = dataOf(await sdk('getUserTeams', () => teams.getUserTeams({ id: me.id })), 'getUserTeams');
  ok(mineTeams.some((t) => t.id === team.id), 'getUserTeams: the team', mineTeams);
  const left = await sdk('deleteTeamUser', () => teams.deleteTeamUser({ id: team.id, DeleteTeamUserRequest: { users: [me.id] } }));
  eq(JSON.stringify(left.data), '[]', 'deleteTeamUser: no member left');

  step('the sub-role deleted');
  await sdk('deleteRoleAssignment', () => roles.deleteRoleAssignment({ id: sub.id, DeleteRoleAssignmentRequest: { user_id: me.id } }));
  dataOf(await sdk('deleteRole', () => roles.deleteRole({ id: sub.id })), 'deleteRole');
  await expectNotFound(() => roles.getRole({ id: sub.id }), 'getRole after deleteRole');

  Object.assign(summary, { roles: [top.id, sub.id], team: team.id, deal: deal.id });
}

await run(main, summary);
