#!/usr/bin/env node
// A Node.js producer and consumer that keep one stream each open while their topic moves between brokers.
// Through the proxy a move is invisible to streams (docs/protocol.md, "Moves are invisible to streams"), so
// there is no reconnect logic here on purpose: any error on either stream is a failure.
//
//   node moves.js <host:port> <topic> [--type=FAILOVER|SHARED] [--seconds=120]
//
// The producer publishes plain messages on the Publish stream (PublishMessages: 5 messages per request,
// consecutive sequence ids, keys), one request every 10 ms with at most 50 unanswered. The consumer reads
// them on a decoded Subscribe stream, acknowledges each response's messages (with a request id, so every
// ack is answered) and gives the permits back. It prints "first message received ..." once traffic flows
// and runs until it reads the line "stop" on stdin (or stdin ends, or --seconds pass, or a stream fails:
// then it prints "stream error: ..." at once). Then it stops publishing, waits (at most 20 s) until every
// request is answered, every acknowledged message received and every ack answered, and prints one JSON line:
//   {"ok", "published", "acked", "duplicateAcks", "received", "missing", "redelivered", "secondAcks",
//    "activeNotices", "streamErrors", "problems"}
// (counts of messages, except duplicateAcks: requests answered as already stored). It exits 0 only if
// neither stream failed, every request was acknowledged exactly once and in the order sent, and every
// acknowledged message was received at least once.
'use strict';

const readline = require('node:readline');
const { grpc, loadApi } = require('./api');

const PER_REQUEST = 5;
const PACE_MS = 10;
const WINDOW = 50;
const KEYS = 7;
const PERMITS = 100;
const FINISH_TIMEOUT_MS = 20000;

function describe(err) {
  return `${grpc.status[err.code] ?? err.code} ${err.details}`;
}

function idString(id) {
  return `${id.ledgerId}:${id.entryId}:${id.batchIndex}`;
}

function valueOf(seq) {
  return `message ${seq}`;
}

// Resolves once condition() holds (checked every 20 ms), or after timeoutMs; says which.
function waitFor(condition, timeoutMs) {
  return new Promise((resolve) => {
    const until = Date.now() + timeoutMs;
    const poll = () => {
      if (condition()) {
        resolve(true);
      } else if (Date.now() >= until) {
        resolve(false);
      } else {
        setTimeout(poll, 20);
      }
    };
    poll();
  });
}

// What both sides saw; every problem and stream error is kept (the summary shows the first ones).
const state = {
  streamErrors: [],
  problems: [],
  stopping: false,
  stop: () => {}, // stops the run early (set by stopSignal)
};

// A stream failed: the run is over (there is no reconnect logic), and says so at once.
function streamFailed(text) {
  state.streamErrors.push(text);
  console.log(`stream error: ${text}`);
  state.stop('a stream failed');
}

function problem(text) {
  state.problems.push(text);
}

// ---- The producer ----

function startProducer(client, topic) {
  const p = {
    published: 0,
    acked: new Set(), // sequence ids of messages whose request was acknowledged
    duplicateAcks: 0,
    unanswered: [], // requests sent and not answered, in order: { first, count }
    failed: false,
  };
  const stream = client.Publish();
  let opened = false;
  let next = 0;
  const pump = () => {
    if (!opened || state.stopping || p.failed || p.unanswered.length >= WINDOW) {
      return;
    }
    const messages = [];
    for (let seq = next; seq < next + PER_REQUEST; seq++) {
      messages.push({ value: Buffer.from(valueOf(seq)), key: `key-${seq % KEYS}`, properties: { seq: String(seq) } });
    }
    stream.write({ messages: { sequenceId: String(next), messages } });
    p.unanswered.push({ first: next, count: PER_REQUEST });
    p.published += PER_REQUEST;
    next += PER_REQUEST;
  };
  const timer = setInterval(pump, PACE_MS);
  stream.on('data', (response) => {
    switch (response.response) {
      case 'opened':
        if (opened) {
          problem('Publish: a second opened reached the client');
        }
        opened = true;
        return;
      case 'ack': {
        const got = Number(response.ack.sequenceId);
        const expected = p.unanswered.shift();
        if (expected === undefined) {
          problem(`Publish: an ack for sequence id ${got} with no request unanswered`);
        } else if (got !== expected.first) {
          problem(`Publish: an ack for sequence id ${got} where ${expected.first} was next`);
        } else {
          for (let seq = got; seq < got + expected.count; seq++) {
            p.acked.add(seq);
          }
          if (response.ack.duplicate) {
            p.duplicateAcks++;
          }
        }
        return;
      }
      case 'error':
        p.unanswered.shift();
        problem(`Publish: request ${response.error.sequenceId} refused: ${JSON.stringify(response.error.error)}`);
        return;
      default:
        problem(`Publish: unexpected ${JSON.stringify(response)}`);
    }
  });
  stream.on('error', (err) => {
    p.failed = true;
    streamFailed(`Publish: ${describe(err)}`);
  });
  stream.on('end', () => {
    if (!p.ending && !p.failed) {
      p.failed = true;
      streamFailed('Publish: the server ended the stream');
    }
  });
  stream.write({ open: { topic, producerName: 'node-mover' } });
  p.finish = async () => {
    clearInterval(timer);
    if (!(await waitFor(() => p.unanswered.length === 0 || p.failed, FINISH_TIMEOUT_MS))) {
      problem(`Publish: ${p.unanswered.length} requests not answered within ${FINISH_TIMEOUT_MS} ms of stopping`);
    }
    p.ending = true;
    stream.end();
  };
  return p;
}

// ---- The consumer ----

function startConsumer(client, topic, type) {
  const c = {
    received: new Map(), // sequence id -> id of the message it came in
    deliveries: new Map(), // message id -> times delivered
    redelivered: 0,
    secondAcks: 0,
    activeNotices: 0,
    acksInFlight: new Map(), // request id -> ids of the messages it acknowledges
    failed: false,
  };
  const stream = client.Subscribe();
  let subscribed = false;
  let requestId = 0;
  stream.on('data', (response) => {
    switch (response.response) {
      case 'subscribed':
        if (subscribed) {
          problem('Subscribe: a second subscribed reached the client');
        }
        subscribed = true;
        return;
      case 'received': {
        const { messages } = response.received;
        for (const m of messages) {
          const id = idString(m.messageId);
          const times = (c.deliveries.get(id) ?? 0) + 1;
          c.deliveries.set(id, times);
          if (times > 1) {
            c.redelivered++;
          }
          const seq = Number(m.sequenceId);
          if (m.value.toString() !== valueOf(seq) || m.key !== `key-${seq % KEYS}` || m.properties.seq !== String(seq)) {
            problem(`Subscribe: message ${id} is not what sequence id ${seq} published: ${JSON.stringify(m)}`);
          }
          const before = c.received.get(seq);
          if (before !== undefined && before !== id) {
            problem(`Subscribe: sequence id ${seq} stored twice: at ${before} and at ${id}`);
          }
          if (c.received.size === 0) {
            console.log(`first message received: sequence id ${seq} at ${id}`);
          }
          c.received.set(seq, id);
        }
        requestId++;
        c.acksInFlight.set(requestId, messages.map((m) => idString(m.messageId)));
        stream.write({ ack: { messageIds: messages.map((m) => m.messageId), requestId: String(requestId) } });
        stream.write({ flow: { permits: messages.length } });
        return;
      }
      case 'ackResponse': {
        const { requestId: answered, error } = response.ackResponse;
        const ids = c.acksInFlight.get(Number(answered));
        c.acksInFlight.delete(Number(answered));
        if (ids === undefined) {
          problem(`Subscribe: an answer to ack ${answered}, not sent or answered before`);
        } else if (error !== null && error.reason === 'MESSAGE_ALREADY_ACKNOWLEDGED'
            && ids.some((id) => c.deliveries.get(id) > 1)) {
          c.secondAcks++; // a message delivered again, acknowledged again: at-least-once
        } else if (error !== null) {
          problem(`Subscribe: ack ${answered} refused: ${JSON.stringify(error)}`);
        }
        return;
      }
      case 'notice':
        if (response.notice.error !== null) {
          problem(`Subscribe: notice ${JSON.stringify(response.notice)}`);
        } else {
          c.activeNotices++; // a Failover consumer hears it is the active one (on each owner)
        }
        return;
      default:
        problem(`Subscribe: unexpected ${JSON.stringify(response)}`);
    }
  });
  stream.on('error', (err) => {
    if (!(c.ending && err.code === grpc.status.CANCELLED)) {
      c.failed = true;
      streamFailed(`Subscribe: ${describe(err)}`);
    }
  });
  stream.on('end', () => {
    if (!c.ending && !c.failed) {
      c.failed = true;
      streamFailed('Subscribe: the server ended the stream');
    }
  });
  stream.write({
    open: { topic, subscription: 'moves', type, consumerName: 'node-mover', initialPosition: 'EARLIEST', initialPermits: PERMITS,
      decoded: true },
  });
  c.finish = async (acked) => {
    const missing = () => [...acked].filter((seq) => !c.received.has(seq)).length;
    if (!(await waitFor(() => (missing() === 0 && c.acksInFlight.size === 0) || c.failed, FINISH_TIMEOUT_MS))) {
      problem(`Subscribe: ${missing()} acknowledged messages not received and ${c.acksInFlight.size} acks not answered `
          + `within ${FINISH_TIMEOUT_MS} ms of stopping`);
    }
    c.ending = true;
    stream.cancel();
    return missing();
  };
  return c;
}

// ---- The run ----

function options(argv) {
  const [address, topic, ...rest] = argv;
  if (!address || !topic) {
    console.error('usage: node moves.js <host:port> <topic> [--type=FAILOVER|SHARED] [--seconds=120]');
    process.exit(2);
  }
  const opts = { address, topic, type: 'FAILOVER', seconds: 120 };
  for (const arg of rest) {
    const [name, value] = arg.replace(/^--/, '').split('=');
    opts[name] = name === 'seconds' ? Number(value) : value;
  }
  return opts;
}

// Resolves when stdin says "stop" (or ends), when the time is up, or when a stream failed.
function stopSignal(seconds) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(`${seconds} s passed`), seconds * 1000);
    const lines = readline.createInterface({ input: process.stdin });
    let stopped = false;
    const stop = (why) => {
      if (!stopped) {
        stopped = true;
        clearTimeout(timer);
        resolve(why);
        lines.close(); // emits close: stop again, which does nothing
      }
    };
    state.stop = stop;
    lines.on('line', (line) => {
      if (line.trim() === 'stop') {
        stop('stop read');
      }
    });
    lines.on('close', () => stop('stdin ended'));
  });
}

async function main() {
  const opts = options(process.argv.slice(2));
  const api = loadApi();
  const client = new api.MessagingService(opts.address, grpc.credentials.createInsecure());
  const consumer = startConsumer(client, opts.topic, opts.type);
  const producer = startProducer(client, opts.topic);
  const why = await stopSignal(opts.seconds);
  console.log(`stopping (${why}): ${producer.published} messages published, ${producer.acked.size} acknowledged, `
      + `${consumer.received.size} received`);
  state.stopping = true;
  await producer.finish();
  const missing = await consumer.finish(producer.acked);
  client.close();
  const ackedInOrder = producer.acked.size === producer.published;
  const ok = state.streamErrors.length === 0 && state.problems.length === 0 && ackedInOrder && missing === 0;
  const summary = {
    ok,
    published: producer.published,
    acked: producer.acked.size,
    duplicateAcks: producer.duplicateAcks,
    received: consumer.received.size,
    missing,
    redelivered: consumer.redelivered,
    secondAcks: consumer.secondAcks,
    activeNotices: consumer.activeNotices,
    streamErrors: state.streamErrors,
    problems: state.problems.slice(0, 20),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`, () => process.exit(ok ? 0 : 1));
}

main().catch((error) => {
  console.error(`FAILED: ${error.stack}`);
  process.exit(1);
});
