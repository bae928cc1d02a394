#!/usr/bin/env node
// Tributary from Node.js with nothing but the .proto files, @grpc/grpc-js and @grpc/proto-loader: no SDK,
// no entry format, no compression codec. It doubles as an example of every call a client needs.
//
//   node proof.js [host:port]        (default: $TRIBUTARY_ADDRESS, else localhost:6650; plaintext)
//
// Against a running proxy (or broker) it
//   1. publishes 1,000 messages with keys and properties with unary Send (under a producer name, with
//      sequence ids, and checks that sending some again is answered as duplicates), and 1,000 more on the
//      Publish stream as plain messages (PublishMessages);
//   2. consumes each topic twice: with a decoded Subscribe stream and with unary Receive + Acknowledge,
//      checking content, order per key and counts;
//   3. lets a visibility timeout expire and sees the message again (redelivery_count 1);
//   4. extends a message's invisible duration with ChangeInvisibleDuration and sees it not come back early;
//   5. negatively acknowledges a message until its redelivery count reaches a maximum, then moves it to a
//      dead-letter topic itself (Send, then Acknowledge with dead_lettered) and reads it from there.
// It prints what it does and exits 0, or prints what did not match and exits 1.
'use strict';

const { grpc, loadApi } = require('./api');

const MESSAGES = 1000;
const KEYS = 10;
const MAX_REDELIVERIES = 3;
const CALL_TIMEOUT_MS = 20000;
const TOTAL_TIMEOUT_MS = 40000;

class Mismatch extends Error {}
class CallFailed extends Error {}

function check(condition, message) {
  if (!condition) {
    throw new Mismatch(message);
  }
}

// ---- Calls ----

// A unary call as a promise. A failure's status details read "REASON: message" (the ErrorDetail's reason).
function unary(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, response) => {
      if (err) {
        reject(new CallFailed(`${method} failed: ${grpc.status[err.code]} ${err.details}`));
      } else {
        resolve(response);
      }
    });
  });
}

// ---- Messages ----

// The messages to publish: keys spread over KEYS keys, properties saying where each came from.
function makeMessages(label, count) {
  const messages = [];
  for (let i = 0; i < count; i++) {
    messages.push({
      value: Buffer.from(`${label} message ${i}`),
      key: `key-${i % KEYS}`,
      properties: { index: String(i), via: label },
      eventTimeMs: String(1700000000000 + i),
      sequenceId: String(i),
    });
  }
  return messages;
}

function sameId(a, b) {
  return a.ledgerId === b.ledgerId && a.entryId === b.entryId && a.batchIndex === b.batchIndex;
}

function idString(id) {
  return `${id.ledgerId}:${id.entryId}:${id.batchIndex}`;
}

// Checks that what a subscription received is exactly what was published: every message once, each
// with its value, key, properties, event time and sequence id, and each key's messages in publishing order.
function checkReceived(what, received, published) {
  check(received.length === published.length, `${what}: received ${received.length} messages, published ${published.length}`);
  const lastIndexOfKey = new Map();
  const seen = new Set();
  for (const message of received) {
    const index = Number(message.properties.index);
    const expected = published[index];
    check(expected !== undefined, `${what}: message ${idString(message.messageId)} has no known index property`);
    check(!seen.has(index), `${what}: message ${index} received twice`);
    seen.add(index);
    check(message.value.equals(expected.value), `${what}: message ${index} has value "${message.value}", expected "${expected.value}"`);
    check(message.key === expected.key, `${what}: message ${index} has key ${message.key}, expected ${expected.key}`);
    check(message.properties.via === expected.properties.via, `${what}: message ${index} has properties ${JSON.stringify(message.properties)}`);
    check(message.eventTimeMs === expected.eventTimeMs, `${what}: message ${index} has event time ${message.eventTimeMs}`);
    check(message.sequenceId === expected.sequenceId, `${what}: message ${index} has sequence id ${message.sequenceId}`);
    check(message.redeliveryCount === 0, `${what}: message ${index} has redelivery count ${message.redeliveryCount}`);
    const previous = lastIndexOfKey.get(message.key) ?? -1;
    check(index > previous, `${what}: key ${message.key}: message ${index} came after message ${previous}`);
    lastIndexOfKey.set(message.key, index);
  }
  console.log(`${what}: ${received.length} messages, content and order per key as published`);
}

// ---- Publishing ----

// Unary Send, a few hundred messages per call (at most 1,000 per call), under a producer name so that
// the sequence ids make it idempotent: sending the first chunk again stores nothing.
async function publishWithSend(client, topic, messages) {
  const producerName = `${topic.split('/').pop()}-producer`;
  const chunk = 250;
  for (let first = 0; first < messages.length; first += chunk) {
    const part = messages.slice(first, first + chunk);
    const { results } = await unary(client, 'Send', { topic, producerName, messages: part });
    check(results.length === part.length, `Send: ${results.length} results for ${part.length} messages`);
    results.forEach((result, i) => {
      check(result.error === null, `Send: message ${first + i} refused: ${JSON.stringify(result.error)}`);
      check(result.messageId !== null && !result.duplicate, `Send: message ${first + i}: ${JSON.stringify(result)}`);
      check(result.sequenceId === part[i].sequenceId, `Send: message ${first + i} stored with sequence id ${result.sequenceId}`);
    });
  }
  const again = await unary(client, 'Send', { topic, producerName, messages: messages.slice(0, chunk) });
  check(again.results.every((r) => r.duplicate && r.error === null),
      'Send: sending the first messages again under the same producer name and sequence ids was not answered as duplicates');
  console.log(`Send: ${messages.length} messages to ${topic}; resent ones were answered as duplicates`);
}

// The Publish stream with plain messages: open, then PublishMessages requests (each stored as one entry,
// numbered from its sequence_id), each answered in order by an ack once durable.
function publishOnStream(client, topic, messages) {
  const perRequest = 50;
  return new Promise((resolve, reject) => {
    const stream = client.Publish({ deadline: Date.now() + CALL_TIMEOUT_MS });
    const pending = [];
    const fail = (error) => {
      stream.cancel();
      reject(error);
    };
    stream.on('error', (err) => reject(new CallFailed(`Publish stream failed: ${grpc.status[err.code]} ${err.details}`)));
    stream.on('data', (response) => {
      try {
        if (response.response === 'opened') {
          check(response.opened.lastSequenceId === '-1', `Publish: a new producer has last sequence id ${response.opened.lastSequenceId}`);
          for (let first = 0; first < messages.length; first += perRequest) {
            pending.push(String(first));
            stream.write({ messages: { sequenceId: String(first), messages: messages.slice(first, first + perRequest) } });
          }
          return;
        }
        check(response.response === 'ack', `Publish: ${JSON.stringify(response)}`);
        const expected = pending.shift();
        check(response.ack.sequenceId === expected, `Publish: ack for sequence id ${response.ack.sequenceId}, expected ${expected}`);
        check(response.ack.messageId !== null && !response.ack.duplicate, `Publish: ${JSON.stringify(response.ack)}`);
        if (pending.length === 0) {
          stream.end();
          console.log(`Publish stream: ${messages.length} messages to ${topic} in ${messages.length / perRequest} requests, all acknowledged in order`);
          resolve();
        }
      } catch (error) {
        fail(error);
      }
    });
    stream.write({ open: { topic, producerName: `${topic.split('/').pop()}-producer` } });
  });
}

// ---- Consuming ----

// A decoded Subscribe stream: plain ReceivedMessages in `received` responses, flow control in messages.
// Each batch is acknowledged (with a request id, so the broker confirms) and its permits given back.
// Once `count` messages have come, a short wait checks that no more follow.
function consumeWithSubscribe(client, topic, subscription, count) {
  return new Promise((resolve, reject) => {
    const stream = client.Subscribe({ deadline: Date.now() + CALL_TIMEOUT_MS });
    const received = [];
    let requestId = 0;
    let acksPending = 0;
    let finishing = false;
    const finish = (error) => {
      stream.cancel();
      if (error) {
        reject(error);
      } else {
        resolve(received);
      }
    };
    stream.on('error', (err) => {
      if (err.code !== grpc.status.CANCELLED) {
        reject(new CallFailed(`Subscribe stream failed: ${grpc.status[err.code]} ${err.details}`));
      }
    });
    stream.on('data', (response) => {
      try {
        switch (response.response) {
          case 'subscribed':
            return;
          case 'received': {
            const messages = response.received.messages;
            check(!finishing, `Subscribe: ${messages.length} more messages after all ${count}`);
            received.push(...messages);
            acksPending++;
            stream.write({ ack: { messageIds: messages.map((m) => m.messageId), requestId: String(++requestId) } });
            stream.write({ flow: { permits: messages.length } });
            return;
          }
          case 'ackResponse':
            check(response.ackResponse.error === null, `Subscribe: ack refused: ${JSON.stringify(response.ackResponse.error)}`);
            acksPending--;
            if (received.length >= count && acksPending === 0 && !finishing) {
              finishing = true;
              setTimeout(() => finish(), 300);
            }
            return;
          case 'notice': // an error notice names an entry the broker could not decode; `active` concerns Failover only
            check(response.notice.error === null, `Subscribe: ${JSON.stringify(response.notice.error)}`);
            return;
          default:
            throw new Mismatch(`Subscribe: unexpected ${JSON.stringify(response)}`);
        }
      } catch (error) {
        finish(error);
      }
    });
    stream.write({
      open: { topic, subscription, type: 'EXCLUSIVE', consumerName: 'node-proof', initialPosition: 'EARLIEST', initialPermits: 200, decoded: true },
    });
  });
}

// Unary Receive (long polling) and Acknowledge until `count` messages have come; then one more Receive
// must come back empty.
async function consumeWithReceive(client, topic, subscription, count) {
  const received = [];
  const ask = { topic, subscription, type: 'SHARED', maxMessages: 400, maxWaitMs: 2000, initialPosition: 'EARLIEST' };
  while (received.length < count) {
    const { messages } = await unary(client, 'Receive', ask);
    check(messages.length > 0, `Receive: nothing within 2 s after ${received.length} of ${count} messages`);
    received.push(...messages);
    await unary(client, 'Acknowledge', { topic, subscription, messageIds: messages.map((m) => m.messageId) });
  }
  const { messages: more } = await unary(client, 'Receive', { ...ask, maxWaitMs: 300 });
  check(more.length === 0, `Receive: ${more.length} more messages after all ${count}`);
  return received;
}

// ---- Visibility timeouts ----

// One Receive with a short invisible duration, no acknowledgement: the message comes back once it
// has passed, with redelivery_count 1.
async function visibilityTimeoutRedelivers(client, topic) {
  await unary(client, 'Send', { topic, messages: [{ value: Buffer.from('forgotten'), key: 'k' }] });
  const ask = { topic, subscription: 'forgetful', maxMessages: 1, maxWaitMs: 5000, initialPosition: 'EARLIEST', invisibleDurationMs: 1000 };
  const [first] = (await unary(client, 'Receive', ask)).messages;
  check(first && first.redeliveryCount === 0, 'visibility: the message was not received');
  const handedOut = Date.now();
  const [again] = (await unary(client, 'Receive', ask)).messages;
  const after = Date.now() - handedOut;
  check(again !== undefined, 'visibility: the unacknowledged message did not come back within 5 s');
  check(sameId(again.messageId, first.messageId), `visibility: got ${idString(again.messageId)}, expected ${idString(first.messageId)} again`);
  check(again.redeliveryCount === 1, `visibility: redelivery count ${again.redeliveryCount}, expected 1`);
  check(after >= 700, `visibility: redelivered after ${after} ms, well before its invisible duration of 1000 ms`);
  await unary(client, 'Acknowledge', { topic, subscription: 'forgetful', messageIds: [again.messageId] });
  console.log(`visibility timeout: not acknowledged within 1000 ms, delivered again after ${after} ms with redelivery count 1`);
}

// Received with a 1 s invisible duration, extended at once to 3 s: nothing comes back within 2 s, and
// the message comes back after the 3 s.
async function extendedMessageIsNotRedeliveredEarly(client, topic) {
  await unary(client, 'Send', { topic, messages: [{ value: Buffer.from('slow work'), key: 'k' }] });
  const subscription = 'slow-worker';
  const ask = { topic, subscription, maxMessages: 1, maxWaitMs: 5000, initialPosition: 'EARLIEST', invisibleDurationMs: 1000 };
  const [message] = (await unary(client, 'Receive', ask)).messages;
  check(message && message.receipt !== '', 'extend: the message came without a receipt');
  const extended = Date.now();
  const { visibleAtMs } = await unary(client, 'ChangeInvisibleDuration',
      { topic, subscription, messageId: message.messageId, receipt: message.receipt, invisibleDurationMs: 3000 });
  const visibleIn = Number(visibleAtMs) - extended;
  check(visibleIn > 2000 && visibleIn <= 4000, `extend: visible again in ${visibleIn} ms, expected about 3000`);
  const early = (await unary(client, 'Receive', { ...ask, maxWaitMs: 2000 })).messages;
  check(early.length === 0, `extend: delivered again ${Date.now() - extended} ms after extending to 3000 ms`);
  const [again] = (await unary(client, 'Receive', ask)).messages;
  const after = Date.now() - extended;
  check(again !== undefined && sameId(again.messageId, message.messageId), 'extend: the message did not come back after its extended invisible duration');
  check(again.redeliveryCount === 1, `extend: redelivery count ${again.redeliveryCount}, expected 1`);
  await unary(client, 'Acknowledge', { topic, subscription, messageIds: [again.messageId] });
  console.log(`ChangeInvisibleDuration: extended from 1000 to 3000 ms, not delivered again early; came back after ${after} ms`);
}

// ---- Negative acknowledgement and dead letters ----

// The client's own dead-letter rule, as the Java SDK's DeadLetterPolicy: the copy keeps value, key, event
// time and properties, plus where it came from; only once it is stored is the original acknowledged
// (dead_lettered counts it in the subscription's statistics).
async function deadLetter(client, topic, subscription, message) {
  const deadLetterTopic = `${topic}-${subscription}-DLQ`;
  const properties = { ...message.properties, REAL_TOPIC: topic, ORIGIN_MESSAGE_ID: idString(message.messageId) };
  const { results } = await unary(client, 'Send', {
    topic: deadLetterTopic,
    messages: [{ value: message.value, key: message.key, properties, eventTimeMs: message.eventTimeMs }],
  });
  check(results[0].error === null, `dead letter: Send refused: ${JSON.stringify(results[0].error)}`);
  await unary(client, 'Acknowledge', { topic, subscription, messageIds: [message.messageId], deadLettered: true });
  return deadLetterTopic;
}

// A message that keeps failing: negatively acknowledged at each delivery until its redelivery count reaches
// MAX_REDELIVERIES, then dead-lettered; it is then found on the dead-letter topic.
async function nackedMessageEndsInDeadLetterTopic(client, topic) {
  const subscription = 'picky';
  await unary(client, 'Send', { topic, messages: [{ value: Buffer.from('poison'), key: 'p', properties: { kind: 'poison' } }] });
  const ask = { topic, subscription, maxMessages: 1, maxWaitMs: 5000, initialPosition: 'EARLIEST', invisibleDurationMs: 30000 };
  for (let attempt = 0; ; attempt++) {
    const [message] = (await unary(client, 'Receive', ask)).messages;
    check(message !== undefined, `nack: the message did not come back after negative acknowledgement ${attempt}`);
    check(message.redeliveryCount === attempt, `nack: delivery ${attempt} has redelivery count ${message.redeliveryCount}`);
    if (message.redeliveryCount < MAX_REDELIVERIES) {
      await unary(client, 'NegativeAcknowledge', { topic, subscription, messageIds: [message.messageId], delayMs: 0 });
      continue;
    }
    const deadLetterTopic = await deadLetter(client, topic, subscription, message);
    const [dead] = (await unary(client, 'Receive', { ...ask, topic: deadLetterTopic, subscription: 'inspector' })).messages;
    check(dead !== undefined && dead.value.toString() === 'poison' && dead.key === 'p', `dead letter: ${JSON.stringify(dead)}`);
    check(dead.properties.kind === 'poison' && dead.properties.REAL_TOPIC === topic
        && dead.properties.ORIGIN_MESSAGE_ID === idString(message.messageId), `dead letter: properties ${JSON.stringify(dead.properties)}`);
    await unary(client, 'Acknowledge', { topic: deadLetterTopic, subscription: 'inspector', messageIds: [dead.messageId] });
    const left = (await unary(client, 'Receive', { ...ask, maxWaitMs: 300 })).messages;
    check(left.length === 0, 'nack: the dead-lettered message is still delivered on its subscription');
    console.log(`NegativeAcknowledge: redelivered ${MAX_REDELIVERIES} times, then moved to ${deadLetterTopic} and read from there`);
    return;
  }
}

// ---- The proof ----

async function main() {
  const address = process.argv[2] || process.env.TRIBUTARY_ADDRESS || 'localhost:6650';
  const api = loadApi();
  const client = new api.MessagingService(address, grpc.credentials.createInsecure());
  const run = `public/default/node-proof-${Date.now().toString(36)}`;
  try {
    const sent = makeMessages('send', MESSAGES);
    const streamed = makeMessages('stream', MESSAGES);
    await publishWithSend(client, `${run}-send`, sent);
    await publishOnStream(client, `${run}-stream`, streamed);
    for (const [topic, published] of [[`${run}-send`, sent], [`${run}-stream`, streamed]]) {
      checkReceived(`Subscribe (decoded) on ${topic}`, await consumeWithSubscribe(client, topic, 'stream-reader', MESSAGES), published);
      checkReceived(`Receive on ${topic}`, await consumeWithReceive(client, topic, 'poller', MESSAGES), published);
    }
    await Promise.all([
      visibilityTimeoutRedelivers(client, `${run}-visibility`),
      extendedMessageIsNotRedeliveredEarly(client, `${run}-extend`),
      nackedMessageEndsInDeadLetterTopic(client, `${run}-nack`),
    ]);
  } finally {
    client.close();
  }
}

function runFromCommandLine() {
  const watchdog = setTimeout(() => {
    console.error(`FAILED: not done within ${TOTAL_TIMEOUT_MS} ms`);
    process.exit(1);
  }, TOTAL_TIMEOUT_MS);
  main().then(() => {
    clearTimeout(watchdog);
    console.log('OK: every check passed');
  }, (error) => {
    const known = error instanceof Mismatch || error instanceof CallFailed;
    console.error(`FAILED: ${known ? error.message : error.stack}`);
    process.exit(1);
  });
}

if (require.main === module) {
  runFromCommandLine();
}

module.exports = { loadApi, unary, publishWithSend, publishOnStream, consumeWithSubscribe, consumeWithReceive, checkReceived,
  visibilityTimeoutRedelivers, extendedMessageIsNotRedeliveredEarly, nackedMessageEndsInDeadLetterTopic };
