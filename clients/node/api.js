// Tributary's gRPC API loaded at run time from the .proto files: what proof.js and moves.js share.
'use strict';

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = process.env.TRIBUTARY_PROTO_DIR || path.join(__dirname, '..', '..', 'protocol', 'src', 'main', 'proto');

// The tributary.v1 package: its services are client constructors (new api.MessagingService(address, credentials)).
// Field names become camelCase (message_id -> messageId); int64s are strings (ledger ids may exceed 2^53);
// enums are their names; an unset field reads as its default; a oneof's field name is in its virtual field.
function loadApi() {
  const definition = protoLoader.loadSync('tributary/v1/messaging.proto', {
    includeDirs: [PROTO_DIR],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).tributary.v1;
}

module.exports = { grpc, loadApi, PROTO_DIR };
