// Package c2csim is a simulator of the Camera to Cloud (C2C) API, version 2, and of the
// S3-style endpoint that receives upload chunks, written from docs/api-notes.md.
//
// It is an independent implementation: it imports nothing of the uploader's core, so a
// test where the client and the simulator agree says something about the API, not about
// shared code. It serves:
//
//   - device pairing: POST /v2/auth/device/code, POST /v2/auth/token (device and refresh
//     grants), POST /v2/auth/revoke, and a small web page at /pair where a person (or the
//     demo) approves or declines a code;
//   - the device endpoints: GET /v2/devices/me, POST /v2/devices/heartbeat, GET /health;
//   - assets: POST /v2/devices/assets (and the legacy POST /v2/assets), real-time parts;
//   - chunk PUTs to signed, expiring URLs under /s3/, with S3's XML errors;
//   - an admin API under /_sim/ (see admin.go) for tests, the demo and integrators:
//     approving codes, pausing channels, expiring tokens, scripted faults, going offline,
//     moving the clock, and reading the request log and the assets received.
//
// Every error is written in the schema the API uses for it (simple, detailed or
// request-errors JSON, S3 XML), so a client's decoder meets all of them.
package c2csim
