// The firewall backends over recorded commands: the rules a bridge gets, that adding them
// twice adds nothing, that removing one bridge's rules leaves another's, and which backend a
// host is given. The same rules run against a real kernel in network-host.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CommandError, type CommandRunner } from '../../src/engine/network/commands.js';
import { chooseFirewall } from '../../src/engine/network/firewall.js';
import { IptablesFirewall, bridgeRules } from '../../src/engine/network/iptables.js';
import { NftFirewall } from '../../src/engine/network/nft.js';

/** Just enough of iptables' tables and chains to run the backend against, recording each call. */
function fakeIptables(forward = '-P FORWARD DROP\n-A FORWARD -j DOCKER-USER') {
  const calls: string[] = [];
  const chains: Record<string, string[][]> = {};
  let family = '';
  // ip6tables has tables and chains of its own: they are kept under `6:filter/…`.
  const key = (table: string, chain: string) => `${family}${table}/${chain}`;
  const fail = (args: string[]) => {
    throw new CommandError('iptables', args, 1, 'iptables: No chain/target/match by that name.');
  };
  const run: CommandRunner = async (command, args) => {
    calls.push([command, ...args].join(' '));
    family = command.startsWith('ip6tables') ? '6:' : '';
    if (args[0] === '-V') return 'iptables v1.8.9 (nf_tables)\n';
    const words = args[0] === '-w' ? args.slice(1) : args;
    const [table, rest] = words[0] === '-t' ? [words[1]!, words.slice(2)] : ['filter', words];
    const [op, chain, ...spec] = rest as [string, string, ...string[]];
    const rules = chains[key(table, chain)];
    const same = (rule: string[]) => rule.join(' ') === spec.join(' ');
    if (op === '-S') {
      if (chain === 'FORWARD') return `${forward}\n`;
      if (!rules) fail(args);
      return [`-N ${chain}`, ...rules!.map((rule) => `-A ${chain} ${rule.join(' ')}`)].join('\n');
    }
    if (op === '-N') {
      if (rules) fail(args);
      chains[key(table, chain)] = [];
      return '';
    }
    const builtin = (chains[key(table, chain)] ??= []);
    if (op === '-C' && !builtin.some(same)) fail(args);
    if (op === '-A') builtin.push(spec);
    if (op === '-I') builtin.unshift(spec.slice(1));
    if (op === '-D') {
      const at = builtin.findIndex(same);
      if (at < 0) fail(args);
      builtin.splice(at, 1);
    }
    return '';
  };
  return { run, calls, chains };
}

test('a bridge gets accept, isolation and NAT rules in tscompose chains', async () => {
  const fake = fakeIptables();
  const firewall = new IptablesFirewall(fake.run);
  await firewall.allowBridge('tsc-aaaa0001', '10.213.1.0/24', false);
  assert.equal(fake.chains['filter/FORWARD'], [['-j', 'TSCOMPOSE-FORWARD']]);
  assert.equal(fake.chains['nat/POSTROUTING'], [['-j', 'TSCOMPOSE-POSTROUTING']]);
  assert.equal(
    fake.chains['filter/TSCOMPOSE-FORWARD']!.map((rule) => rule.join(' ')),
    [
      '-i tsc-aaaa0001 -o tsc-aaaa0001 -j ACCEPT',
      '-i tsc-aaaa0001 ! -o tsc-aaaa0001 -j TSCOMPOSE-ISOLATION',
      '-i tsc-aaaa0001 ! -o tsc-aaaa0001 -j ACCEPT',
      '-o tsc-aaaa0001 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ],
  );
  assert.equal(fake.chains['filter/TSCOMPOSE-ISOLATION'], [['-o', 'tsc-aaaa0001', '-j', 'DROP']]);
  assert.equal(fake.chains['nat/TSCOMPOSE-POSTROUTING'], [
    ['-s', '10.213.1.0/24', '!', '-o', 'tsc-aaaa0001', '-j', 'MASQUERADE'],
  ]);
  assert.ok(
    fake.calls.every((call) => call.startsWith('iptables -w')),
    'every call waits for the lock',
  );
});

test('an internal network gets no NAT rule and no way out', () => {
  const rules = bridgeRules('tsc-aaaa0002', '10.213.2.0/24', true);
  assert.not.ok(rules.some((rule) => rule.table === 'nat'));
  assert.not.ok(
    rules.some((rule) => rule.spec.join(' ') === '-i tsc-aaaa0002 ! -o tsc-aaaa0002 -j ACCEPT'),
  );
  assert.ok(
    rules.some((rule) => rule.spec.join(' ') === '-i tsc-aaaa0002 ! -o tsc-aaaa0002 -j DROP'),
  );
});

test('allowing a bridge twice adds nothing; removing one leaves the other exact', async () => {
  const fake = fakeIptables();
  const firewall = new IptablesFirewall(fake.run);
  await firewall.allowBridge('tsc-aaaa0001', '10.213.1.0/24', false);
  await firewall.allowBridge('tsc-aaaa0002', '10.213.2.0/24', true);
  const before = JSON.stringify(fake.chains);
  const writes = fake.calls.length;
  await firewall.allowBridge('tsc-aaaa0001', '10.213.1.0/24', false);
  assert.is(JSON.stringify(fake.chains), before);
  assert.not.ok(fake.calls.slice(writes).some((call) => / -[ADI] /.test(call)));

  await firewall.removeBridge('tsc-aaaa0001');
  const left = Object.values(fake.chains)
    .flat()
    .map((rule) => rule.join(' '));
  assert.not.ok(left.some((rule) => rule.includes('tsc-aaaa0001')));
  assert.is(left.filter((rule) => rule.includes('tsc-aaaa0002')).length, 5);
  assert.ok(left.includes('-j TSCOMPOSE-FORWARD'), 'the jump stays for the other bridge');
});

test('a partial set of rules is replaced as a whole, in order', async () => {
  const fake = fakeIptables();
  const firewall = new IptablesFirewall(fake.run);
  await firewall.allowBridge('tsc-aaaa0001', '10.213.1.0/24', false);
  fake.chains['filter/TSCOMPOSE-FORWARD']!.splice(1, 1); // the isolation jump lost
  await firewall.allowBridge('tsc-aaaa0001', '10.213.1.0/24', false);
  assert.is(
    fake.chains['filter/TSCOMPOSE-FORWARD']![1]!.join(' '),
    '-i tsc-aaaa0001 ! -o tsc-aaaa0001 -j TSCOMPOSE-ISOLATION',
  );
});

test('a network with IPv6 gets the same rules from ip6tables, its masquerade from its subnet', async () => {
  const fake = fakeIptables();
  const firewall = new IptablesFirewall(fake.run);
  await firewall.allowBridge('tsc-aaaa0001', '10.213.1.0/24', false, 'fd00:7473:6373::/64');
  await firewall.allowBridge('tsc-aaaa0002', '10.213.2.0/24', true, 'fd00:7473:6373:1::/64');
  assert.equal(fake.chains['6:filter/FORWARD'], [['-j', 'TSCOMPOSE-FORWARD']]);
  assert.equal(fake.chains['6:nat/POSTROUTING'], [['-j', 'TSCOMPOSE-POSTROUTING']]);
  const v4 = fake.chains['filter/TSCOMPOSE-FORWARD']!.map((rule) => rule.join(' '));
  const v6 = fake.chains['6:filter/TSCOMPOSE-FORWARD']!.map((rule) => rule.join(' '));
  assert.equal(v6, v4, 'the same forwarding policy in both families');
  assert.equal(fake.chains['6:nat/TSCOMPOSE-POSTROUTING'], [
    ['-s', 'fd00:7473:6373::/64', '!', '-o', 'tsc-aaaa0001', '-j', 'MASQUERADE'],
  ]);
  assert.equal(fake.chains['nat/TSCOMPOSE-POSTROUTING'], [
    ['-s', '10.213.1.0/24', '!', '-o', 'tsc-aaaa0001', '-j', 'MASQUERADE'],
  ]);
  assert.ok(
    fake.calls.filter((call) => call.startsWith('ip6tables')).every((c) => c.includes(' -w ')),
  );

  await firewall.removeBridge('tsc-aaaa0001', true);
  await firewall.removeBridge('tsc-aaaa0002', true);
  const left = Object.entries(fake.chains).filter(([, rules]) => rules.length > 0);
  assert.equal(left, [], 'the last bridge takes the chains and jumps of both families with it');
});

test('an IPv4-only network never touches ip6tables; a legacy iptables has its ip6tables', async () => {
  const fake = fakeIptables();
  const firewall = new IptablesFirewall(fake.run);
  await firewall.allowBridge('tsc-aaaa0001', '10.213.1.0/24', false);
  await firewall.removeBridge('tsc-aaaa0001');
  assert.not.ok(
    fake.calls.some((call) => call.startsWith('ip6tables')),
    fake.calls.join('\n'),
  );

  const legacy = fakeIptables();
  await new IptablesFirewall(legacy.run, 'iptables-legacy').allowBridge(
    'tsc-aaaa0001',
    '10.213.1.0/24',
    false,
    'fd00:7473:6373::/64',
  );
  const commands = new Set(legacy.calls.map((call) => call.split(' ')[0]));
  assert.equal([...commands].sort(), ['ip6tables-legacy', 'iptables-legacy']);
});

test('iptables is chosen where it runs; the other backend where only that one filters', async () => {
  const plain = await chooseFirewall(fakeIptables().run);
  assert.instance(plain, IptablesFirewall);
  assert.is((plain as IptablesFirewall).command, 'iptables');

  const switched: CommandRunner = async (command, args) => {
    if (args[0] === '-V') return 'iptables v1.8.9 (nf_tables)\n';
    if (command === 'cat') return 'filter\nnat\n';
    if (command === 'iptables-legacy') return '-P FORWARD DROP\n-A FORWARD -j DOCKER-USER\n';
    return '-P FORWARD ACCEPT\n';
  };
  assert.is(((await chooseFirewall(switched)) as IptablesFirewall).command, 'iptables-legacy');

  const untouched: string[] = [];
  const noLegacy: CommandRunner = async (command, args) => {
    untouched.push(command);
    if (args[0] === '-V') return 'iptables v1.8.9 (nf_tables)\n';
    if (command === 'cat') return '';
    return '-P FORWARD ACCEPT\n';
  };
  assert.is(((await chooseFirewall(noLegacy)) as IptablesFirewall).command, 'iptables');
  assert.not.ok(untouched.includes('iptables-legacy'), 'legacy tables are not instantiated');

  const nftOnly: CommandRunner = async (command, args) => {
    if (command === 'nft') return 'nftables v1.0.6\n';
    throw new CommandError(command, args, 127, 'not found');
  };
  assert.instance(await chooseFirewall(nftOnly), NftFirewall);
});

test('nft: rules go into the tscompose table; removal deletes by handle, that bridge only', async () => {
  const calls: string[] = [];
  const listing = {
    nftables: [
      { metainfo: { version: '1.0.6' } },
      {
        rule: {
          chain: 'TSCOMPOSE-FORWARD',
          handle: 7,
          expr: [
            { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'tsc-aaaa0001' } },
          ],
        },
      },
      {
        rule: {
          chain: 'TSCOMPOSE-FORWARD',
          handle: 8,
          expr: [
            { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'tsc-aaaa0002' } },
          ],
        },
      },
    ],
  };
  const run: CommandRunner = async (command, args) => {
    calls.push([command, ...args].join(' '));
    if (args[0] === '-j') {
      // The whole table (`list table`) still holds the other bridge's rule: it stays.
      const whole = args[2] === 'table' || args[5] === 'TSCOMPOSE-FORWARD';
      return whole ? JSON.stringify(listing) : '{"nftables":[]}';
    }
    return '';
  };
  await new NftFirewall(run).removeBridge('tsc-aaaa0001');
  assert.equal(
    calls.filter((call) => call.startsWith('nft delete')),
    ['nft delete rule ip tscompose TSCOMPOSE-FORWARD handle 7'],
  );

  calls.length = 0;
  await new NftFirewall(run).allowBridge('tsc-aaaa0003', '10.213.3.0/24', true);
  const added = calls.filter((call) => call.startsWith('nft add rule'));
  assert.is(added.length, 5);
  assert.not.ok(
    added.some((call) => call.includes('masquerade')),
    'internal: no NAT',
  );
  assert.ok(
    added[0]!.startsWith('nft add rule ip tscompose TSCOMPOSE-FORWARD iifname "tsc-aaaa0003"'),
  );
});

test('nft: IPv6 rules go into an ip6 table of their own, masquerading by ip6 saddr', async () => {
  const calls: string[] = [];
  const run: CommandRunner = async (command, args) => {
    calls.push([command, ...args].join(' '));
    return args[0] === '-j' ? '{"nftables":[]}' : '';
  };
  const firewall = new NftFirewall(run);
  await firewall.allowBridge('tsc-aaaa0003', '10.213.3.0/24', false, 'fd00:7473:6373::/64');
  assert.ok(calls.includes('nft add table ip6 tscompose'));
  const added6 = calls.filter((call) => call.startsWith('nft add rule ip6 tscompose'));
  assert.is(added6.length, 6);
  assert.ok(
    added6.includes(
      'nft add rule ip6 tscompose TSCOMPOSE-POSTROUTING ip6 saddr fd00:7473:6373::/64 oifname != "tsc-aaaa0003" masquerade',
    ),
    added6.join('\n'),
  );
  assert.ok(calls.some((call) => call.includes('ip saddr 10.213.3.0/24')));

  calls.length = 0;
  await firewall.allowBridge('tsc-aaaa0004', '10.213.4.0/24', true, 'fd00:7473:6373:1::/64');
  const internal = calls.filter((call) => call.startsWith('nft add rule ip6'));
  assert.is(internal.length, 5);
  assert.not.ok(
    internal.some((call) => call.includes('masquerade')),
    'internal: no NAT',
  );

  calls.length = 0;
  await firewall.removeBridge('tsc-aaaa0004');
  assert.not.ok(
    calls.some((call) => call.includes(' ip6 ')),
    'IPv4 only: the ip6 table is not read',
  );
  await firewall.removeBridge('tsc-aaaa0004', true);
  assert.ok(calls.some((call) => call.startsWith('nft -j list chain ip6 tscompose')));
});

test.run();
