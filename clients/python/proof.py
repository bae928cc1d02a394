#!/usr/bin/env python3
"""Tributary from Python with grpcio and protobuf only: no generated code, no SDK, no entry format.

    python3 proof.py DESCRIPTORS [host:port]     (default address: $TRIBUTARY_ADDRESS, else localhost:6650)

DESCRIPTORS is a FileDescriptorSet of the tributary.v1 .proto files, for instance from
`buf build proto --path proto/tributary/v1 --as-file-descriptor-set -o tributary-v1.binpb` (or
`protoc --include_imports --descriptor_set_out=...`). The message classes are made from it at run time
and the calls go through grpcio's generic channel methods, so any grpcio and protobuf runtime works,
however old its code generator (Debian 12's python3-grpc-tools cannot compile proto3 `optional`).

Against a running proxy (or broker), plaintext, it sends messages with keys and properties (unary Send),
consumes them with unary Receive + Acknowledge, lets one visibility timeout expire and sees the message
again (redelivery_count 1), and reads the topic with a decoded Subscribe stream; it checks content,
order per key and counts, and exits 1 with a message on any mismatch.
"""
import os
import queue
import sys
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

MESSAGES = 100
KEYS = 5
TIMEOUT_S = 20


class Mismatch(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Mismatch(message)


# ---- The API, from descriptors ----

class MessagingApi:
    """tributary.v1.MessagingService: message classes by name and one callable per method."""

    def __init__(self, descriptor_file, address):
        self.pool = descriptor_pool.DescriptorPool()
        with open(descriptor_file, "rb") as f:
            for file in descriptor_pb2.FileDescriptorSet.FromString(f.read()).file:
                self.pool.Add(file)
        self.service = self.pool.FindServiceByName("tributary.v1.MessagingService")
        self.channel = grpc.insecure_channel(address)

    def message(self, name):
        """The class of a tributary.v1 message, e.g. message("SendRequest")."""
        return self._class(self.pool.FindMessageTypeByName("tributary.v1." + name))

    def _class(self, descriptor):
        if hasattr(message_factory, "GetMessageClass"):  # protobuf 4.22 and later
            return message_factory.GetMessageClass(descriptor)
        return message_factory.MessageFactory(self.pool).GetPrototype(descriptor)

    def method(self, name):
        """A callable for one method: unary ones take a request, streaming ones an iterator of requests."""
        method = self.service.methods_by_name[name]
        path = f"/{self.service.full_name}/{name}"
        serialize = self._class(method.input_type).SerializeToString
        deserialize = self._class(method.output_type).FromString
        if method.client_streaming and method.server_streaming:
            return self.channel.stream_stream(path, request_serializer=serialize, response_deserializer=deserialize)
        return self.channel.unary_unary(path, request_serializer=serialize, response_deserializer=deserialize)

    def call(self, name, **fields):
        """A unary call, its request given as keyword arguments (nested messages may be dicts, enum values names)."""
        request = self._class(self.service.methods_by_name[name].input_type)(**fields)
        return self.method(name)(request, timeout=TIMEOUT_S)


# ---- The flow ----

def make_messages(count):
    return [{"value": f"python message {i}".encode(), "key": f"key-{i % KEYS}",
             "properties": {"index": str(i), "via": "python"}, "event_time_ms": 1700000000000 + i}
            for i in range(count)]


def publish(api, topic, messages):
    results = api.call("Send", topic=topic, messages=messages).results
    check(len(results) == len(messages), f"Send: {len(results)} results for {len(messages)} messages")
    for i, result in enumerate(results):
        check(not result.HasField("error"), f"Send: message {i} refused: {result.error}")
        check(result.HasField("message_id"), f"Send: message {i} has no id")
    print(f"Send: {len(messages)} messages to {topic}")


def check_received(what, received, published):
    """Every published message once, with its content, and each key's messages in publishing order."""
    check(len(received) == len(published), f"{what}: received {len(received)} messages, published {len(published)}")
    last_of_key = {}
    seen = set()
    for message in received:
        index = int(message.properties["index"])
        expected = published[index]
        check(index not in seen, f"{what}: message {index} received twice")
        seen.add(index)
        check(message.value == expected["value"], f"{what}: message {index} has value {message.value!r}")
        check(message.key == expected["key"], f"{what}: message {index} has key {message.key}")
        check(message.properties["via"] == "python", f"{what}: message {index} has properties {dict(message.properties)}")
        check(message.event_time_ms == expected["event_time_ms"], f"{what}: message {index} has event time {message.event_time_ms}")
        check(index > last_of_key.get(message.key, -1),
              f"{what}: key {message.key}: message {index} came after message {last_of_key.get(message.key)}")
        last_of_key[message.key] = index
    print(f"{what}: {len(received)} messages, content and order per key as published")


def consume_with_receive(api, topic, subscription, count):
    """Receive (long polling) and Acknowledge until count messages came; one more Receive must be empty."""
    received = []
    ask = dict(topic=topic, subscription=subscription, max_messages=50, max_wait_ms=2000,
               initial_position="EARLIEST")
    while len(received) < count:
        messages = api.call("Receive", **ask).messages
        check(len(messages) > 0, f"Receive: nothing within 2 s after {len(received)} of {count} messages")
        received.extend(messages)
        api.call("Acknowledge", topic=topic, subscription=subscription, message_ids=[m.message_id for m in messages])
    more = api.call("Receive", **dict(ask, max_wait_ms=300)).messages
    check(len(more) == 0, f"Receive: {len(more)} more messages after all {count}")
    return received


def visibility_timeout_redelivers(api, topic):
    """Received with a 1 s invisible duration and not acknowledged: it comes back with redelivery_count 1."""
    api.call("Send", topic=topic, messages=[{"value": b"forgotten"}])
    ask = dict(topic=topic, subscription="forgetful", max_messages=1, max_wait_ms=5000, initial_position="EARLIEST",
               invisible_duration_ms=1000)
    first = api.call("Receive", **ask).messages
    check(len(first) == 1 and first[0].redelivery_count == 0, "visibility: the message was not received")
    handed_out = time.monotonic()
    again = api.call("Receive", **ask).messages
    after_ms = int((time.monotonic() - handed_out) * 1000)
    check(len(again) == 1, "visibility: the unacknowledged message did not come back within 5 s")
    check(again[0].message_id == first[0].message_id, f"visibility: got {again[0].message_id}, expected {first[0].message_id}")
    check(again[0].redelivery_count == 1, f"visibility: redelivery count {again[0].redelivery_count}, expected 1")
    check(after_ms >= 700, f"visibility: delivered again after {after_ms} ms, well before its invisible duration of 1000 ms")
    api.call("Acknowledge", topic=topic, subscription="forgetful", message_ids=[again[0].message_id])
    print(f"visibility timeout: delivered again after {after_ms} ms with redelivery count 1")


def consume_with_subscribe(api, topic, subscription, count):
    """A decoded Subscribe stream: requests go through a queue the stream reads; each batch of plain
    messages is acknowledged and its permits given back."""
    request = api.message("SubscribeRequest")
    requests = queue.Queue()
    requests.put(request(open={"topic": topic, "subscription": subscription, "type": "EXCLUSIVE",
                               "initial_position": "EARLIEST", "initial_permits": 50, "decoded": True}))
    responses = api.method("Subscribe")(iter(requests.get, None), timeout=TIMEOUT_S)
    received = []
    try:
        for response in responses:
            kind = response.WhichOneof("response")
            if kind == "subscribed":
                continue
            if kind == "notice":  # an error notice names an entry the broker could not decode
                check(not response.notice.HasField("error"), f"Subscribe: {response.notice.error}")
                continue
            check(kind == "received", f"Subscribe: unexpected {response}")
            messages = response.received.messages
            received.extend(messages)
            requests.put(request(ack={"message_ids": [m.message_id for m in messages]}))
            requests.put(request(flow={"permits": len(messages)}))
            if len(received) >= count:
                break
    finally:
        requests.put(None)
        responses.cancel()
    return received


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: proof.py DESCRIPTORS [host:port]")
    address = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("TRIBUTARY_ADDRESS", "localhost:6650")
    api = MessagingApi(sys.argv[1], address)
    run = f"public/default/python-proof-{int(time.time() * 1000):x}"
    published = make_messages(MESSAGES)
    publish(api, run, published)
    check_received(f"Receive on {run}", consume_with_receive(api, run, "poller", MESSAGES), published)
    visibility_timeout_redelivers(api, f"{run}-visibility")
    check_received(f"Subscribe (decoded) on {run}", consume_with_subscribe(api, run, "stream-reader", MESSAGES), published)
    print("OK: every check passed")


if __name__ == "__main__":
    try:
        main()
    except Mismatch as e:
        sys.exit(f"FAILED: {e}")
    except grpc.RpcError as e:
        sys.exit(f"FAILED: a call failed: {e.code().name} {e.details()}")
