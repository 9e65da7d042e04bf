// RFC 5626 5.3: the closed flows of outbound bindings are remembered (430, never reopened) as long as
// a binding names them, and forgotten after: also when the binding moved to a new flow by a refresh
// in place, which emits no 'removed' (a UA that reconnects all day must not grow the set for ever).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { FlowState } from '../../src/proxy/flow-state.js';
import type { TransportEvents } from '../../src/transport/transport-manager.js';
import { register, rig, tcpSource } from '../registrar/helpers.js';

const OUTBOUND = '<sip:alice@127.0.0.1:40000;transport=tcp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1';

describe('FlowState', () => {
  test('a closed outbound flow stays closed while its binding names it, and is forgotten once it moved on', async () => {
    const r = await rig();
    const transport = new EventEmitter<TransportEvents>();
    const flows = new FlowState(transport, r.location);
    let cseq = 1;
    const registerOn = (connectionId: string) => r.registrar.register(
      register({ cseq: cseq++, contacts: [OUTBOUND], expires: 600, headers: ['Supported: outbound'] }), tcpSource(connectionId));

    await registerOn('conn-0');
    transport.emit('connection-closed', tcpSource('conn-0'), 'peer');
    assert.equal(flows.isOpen('conn-0'), false, 'the binding of a closed flow must get 430, not a new connection');
    for (let i = 1; i <= 2000; i++) {
      await registerOn(`conn-${i}`);
      assert.equal(r.location.lookup('sip:alice@example.com').length, 1, 'the flow of one instance and reg-id piled up');
      transport.emit('connection-closed', tcpSource(`conn-${i}`), 'peer');
    }
    assert.equal(flows.isOpen('conn-2000'), false, 'the flow the binding names now is closed');
    assert.ok(flows.closedFlows < 600, `${flows.closedFlows} closed flows remembered for one binding`);
  });

  test('a flow closed without bindings is not remembered; an unknown one is open', async () => {
    const r = await rig();
    const transport = new EventEmitter<TransportEvents>();
    const flows = new FlowState(transport, r.location);
    transport.emit('connection-closed', tcpSource('conn-x'), 'peer');
    assert.equal(flows.closedFlows, 0);
    assert.equal(flows.isOpen('conn-x'), true);
  });
});
