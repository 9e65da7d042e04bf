// --offline-max-bytes: the offline store as a whole has a size limit. Strangers are not challenged,
// so without it anyone could fill the disk the registrar commits to (every user's mailbox, 1000
// messages of 32 KB each), and a full disk fails REGISTERs too. Beyond the limit a MESSAGE for any
// user who is away gets 480 whose reason says the store is full (RFC 3261 21.4.18), as a full
// mailbox does; a message delivered or removed makes room again. README "MESSAGE and the offline store".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint } from '../helpers/sip-endpoint.js';

const BODY = 'x'.repeat(1000);
// Body, sender and Content-Type as stored: two such messages fit, a third does not.
const SIZE = BODY.length + '<sip:mallory@evil.example>'.length + 'text/plain'.length;

let srv: RunningServer;
let stranger: SipEndpoint;
before(async () => {
  srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, offlineMaxBytes: 2 * SIZE + 100 });
  for (const user of ['bob', 'carol', 'dave']) await srv.server.users.add(user, 'example.com', `${user}-secret`);
  stranger = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
});
after(async () => {
  stranger.close();
  await srv.stop();
});

async function send(to: string): Promise<string> {
  const { response } = await stranger.request({
    method: 'MESSAGE', uri: `sip:${to}@example.com`, from: 'sip:mallory@evil.example', to: `sip:${to}@example.com`,
    fromTag: newTag(), callId: newCallId(), cseq: 1, contentType: 'text/plain', body: BODY,
  });
  return `${response.status} ${response.reason}`;
}

test('beyond --offline-max-bytes a message for any user away gets 480 (store full); a removed one makes room', async () => {
  assert.match(await send('bob'), /^202 /);
  assert.match(await send('carol'), /^202 /);
  // dave's mailbox is empty, but the store is not.
  assert.equal(await send('dave'), '480 Temporarily Unavailable (offline message store is full; message not stored)');
  assert.equal(await send('bob'), '480 Temporarily Unavailable (offline message store is full; message not stored)');
  assert.equal(srv.server.offlineMessages.count, 2);

  const [bobs] = srv.server.offlineMessages.list('sip:bob@example.com');
  assert.equal(await srv.server.offlineMessages.remove(bobs.id), true);
  assert.match(await send('dave'), /^202 /);
});
