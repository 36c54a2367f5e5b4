#!/usr/bin/env bash
# Encodes the backend-link golden fixtures from their text form with protoc (Debian's
# protobuf-compiler), given only the files in proto/. The .bin files are committed: they are the
# contract the client's encoder and the backend's decoder are tested against.
set -euo pipefail
cd "$(dirname "$0")/.."
for txt in test/fixtures/backend-link/*.txtpb; do
  protoc --encode=clientmt5.v1.Envelope -I proto proto/clientmt5/v1/envelope.proto < "$txt" > "${txt%.txtpb}.bin"
  echo "$txt -> ${txt%.txtpb}.bin ($(stat -c %s "${txt%.txtpb}.bin") bytes)"
done
