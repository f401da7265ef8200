/**
 * IPv4 policy-routing rules (RTM_*RULE), in the style of Submariner's
 * RuleAddIfNotPresent / RuleDelIfPresent: only selector-less
 * `priority P lookup T` rules are created or deleted here.
 */
import netlink from 'netlink';
import type { rt } from 'netlink';
import { InvalidArgumentError } from '../errors.js';
import { isErrno } from './errors.js';
import { AF_INET, NLM_F, type NetlinkSession } from './session.js';
import type { RuleInfo, TableRule } from './types.js';

const FR_ACT_TO_TBL = 1;

/** Rule attributes that select packets; any of them makes the rule more than "from all". */
const SELECTORS: (keyof rt.RuleAttrs)[] = [
  'src',
  'dst',
  'iifname',
  'oifname',
  'fwmark',
  'fwmask',
  'uidRange',
  'ipProto',
  'sportRange',
  'dportRange',
  'tunId',
  'l3Mdev',
];

function toRuleInfo(m: rt.RuleMessage): RuleInfo {
  const action = m.data.action;
  return {
    priority: m.attrs.priority ?? 0,
    table: m.attrs.table ?? m.data.table ?? 0,
    action: typeof action === 'number' ? (netlink.rt.RuleAction[action] ?? String(action)) : String(action ?? 'unspec'),
    hasSelector:
      Boolean(m.data.srcLen) ||
      Boolean(m.data.dstLen) ||
      Boolean(m.data.tos) ||
      SELECTORS.some((k) => m.attrs[k] !== undefined),
  };
}

function checkRule(rule: TableRule): void {
  if (!Number.isInteger(rule.priority) || rule.priority < 1 || rule.priority > 32765) {
    throw new InvalidArgumentError(`invalid rule priority ${rule.priority}: 1 to 32765`);
  }
  if (
    !Number.isInteger(rule.table) ||
    rule.table < 1 ||
    rule.table > 0xffffffff ||
    (rule.table >= 253 && rule.table <= 255)
  ) {
    throw new InvalidArgumentError(`invalid rule table ${rule.table}: 1 to 4294967295, not 253-255`);
  }
}

function isTableRule(r: RuleInfo, rule: TableRule): boolean {
  return r.priority === rule.priority && r.table === rule.table && r.action === 'toTbl' && !r.hasSelector;
}

function request(rule: TableRule): [rt.Rule, rt.RuleAttrs] {
  return [
    { family: AF_INET, table: rule.table < 256 ? rule.table : 0, action: FR_ACT_TO_TBL },
    { priority: rule.priority, table: rule.table },
  ];
}

/** Every IPv4 rule, in kernel order. */
export async function listRules(s: NetlinkSession): Promise<RuleInfo[]> {
  const msgs = await s.run(
    () => 'list IPv4 rules',
    () => s.sock.getRules({ family: AF_INET }, {}, s.opts()),
  );
  return msgs.filter((m) => m.data.family === AF_INET).map(toRuleInfo);
}

/** Adds `priority P lookup T` unless present (NLM_F_CREATE|NLM_F_EXCL, EEXIST absorbed); true when added. */
export async function ensureRule(s: NetlinkSession, rule: TableRule): Promise<boolean> {
  checkRule(rule);
  if ((await listRules(s)).some((r) => isTableRule(r, rule))) return false;
  const [data, attrs] = request(rule);
  try {
    await s.run(
      () => `add rule priority ${rule.priority} lookup ${rule.table}`,
      () => s.sock.newRule(data, attrs, s.opts(NLM_F.CREATE | NLM_F.EXCL)),
    );
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw err;
  }
}

/**
 * Deletes every selector-less `priority P lookup T` rule; none is fine. The
 * kernel matches a delete on the attributes sent only, so a rule with the same
 * priority and table plus a selector would also match: we delete only while a
 * selector-less one is listed.
 */
export async function deleteRule(s: NetlinkSession, rule: TableRule): Promise<void> {
  checkRule(rule);
  const [data, attrs] = request(rule);
  for (let i = 0; i < 16; i++) {
    if (!(await listRules(s)).some((r) => isTableRule(r, rule))) return;
    try {
      await s.run(
        () => `delete rule priority ${rule.priority} lookup ${rule.table}`,
        () => s.sock.delRule(data, attrs, s.opts()),
      );
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
  }
}
