import assert from "node:assert/strict";
import { checkExecExposure } from "../../lib/exec/command.ts";

Deno.test("checkExecExposure() wants a token and TLS (or --allow-plaintext) off loopback only", () => {
  const off = { transport: "tcp" as const, hostname: "0.0.0.0", port: 1 };
  const loop = { transport: "tcp" as const, hostname: "::1", port: 1 };
  const none = { token: false, tls: false, allowPlaintext: false };
  checkExecExposure(loop, none);
  checkExecExposure({ transport: "unix", path: "/tmp/x" }, none);
  checkExecExposure(off, { token: true, tls: true, allowPlaintext: false });
  checkExecExposure(off, { token: true, tls: false, allowPlaintext: true });
  assert.throws(
    () => checkExecExposure(off, { ...none, tls: true, allowPlaintext: true }),
    /a token is required/,
  );
  assert.throws(
    () => checkExecExposure(off, { ...none, token: true }),
    /need TLS so the token is not sent in clear/,
  );
});
