// Service discovery's pure parts: the names per network, a client's networks, and what a
// query answers for the container that asks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerRecord } from '../../src/engine/containers/records.js';
import { clientNetworks, hostsEntries, lookupFor, nameIndex } from '../../src/stack/discovery.js';
import type { Discovery } from '../../src/stack/networks.js';

function running(discovery: Discovery): ContainerRecord {
  return { state: 'running', supervision: { discovery } } as unknown as ContainerRecord;
}

const api = running({
  names: ['api'],
  networks: [{ name: 'p_back', aliases: ['backend'], ip: '10.1.0.2' }],
});
const web = running({
  names: ['web'],
  networks: [
    { name: 'p_front', aliases: [], ip: '10.2.0.3' },
    { name: 'p_back', aliases: [], ip: '10.1.0.3' },
  ],
  links: [{ service: 'api', alias: 'database' }],
});
const outsider = running({
  names: ['outsider'],
  networks: [{ name: 'p_front', aliases: [], ip: '10.2.0.4' }],
});

test('a container on two networks resolves the names of both through its one resolver', () => {
  const all = [api, web, outsider];
  const index = nameIndex(all);
  const clients = clientNetworks(all);
  // web's resolver is on p_front, its first network; api is only on p_back.
  assert.equal(lookupFor(index, clients, 'p_front', 'api', '10.2.0.3'), {
    ipv4: ['10.1.0.2'],
    ipv6: [],
  });
  assert.is(lookupFor(index, clients, 'p_front', 'api', '10.2.0.4'), undefined, 'not outsider');
  assert.is(lookupFor(index, clients, 'p_front', 'api', undefined), undefined, 'nor the host');
  assert.equal(lookupFor(index, clients, 'p_back', 'backend', '192.0.2.1'), {
    ipv4: ['10.1.0.2'],
    ipv6: [],
  });
});

test('hosts entries: the names of the networks it is on, and its links’ aliases', () => {
  const index = nameIndex([api, web, outsider]);
  const entries = hostsEntries(index, (web.supervision as { discovery: Discovery }).discovery);
  assert.equal(entries, [
    { ip: '10.1.0.2', names: ['api', 'backend', 'database'] },
    { ip: '10.1.0.3', names: ['web'] },
    { ip: '10.2.0.3', names: ['web'] },
    { ip: '10.2.0.4', names: ['outsider'] },
  ]);
});

test.run();
