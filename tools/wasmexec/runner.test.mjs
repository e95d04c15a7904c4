// Tests of go_js_wasm_exec on a real Go program built for js/wasm
// (testdata/probe links core/gemm, so it needs the pare_gemm import).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const runner = path.join(here, "go_js_wasm_exec");
let probe = null;
let skipReason = "";

before(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wasmexec-"));
  probe = path.join(dir, "probe.wasm");
  try {
    execFileSync("go", ["build", "-o", probe, "./testdata/probe"], {
      cwd: here, env: { ...process.env, GOOS: "js", GOARCH: "wasm" }, stdio: "pipe",
    });
  } catch (err) {
    if (err.code === "ENOENT") skipReason = "go is not on PATH";
    else throw new Error(`building testdata/probe for js/wasm failed:\n${err.stderr}`);
  }
});

function run(args, env = {}) {
  return spawnSync(runner, [probe, ...args], { env: { ...process.env, ...env }, encoding: "utf8" });
}

for (const mode of ["auto", "simd", "relaxed", "off"]) {
  test(`PARE_SIMD=${mode}: the Go program instantiates and computes`, (t) => {
    if (skipReason) return t.skip(skipReason);
    const r = run([], { PARE_SIMD: mode });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /product \[19 22 43 50\]/);
  });
}

test("arguments, environment, stdout and stderr pass through", (t) => {
  if (skipReason) return t.skip(skipReason);
  const r = run(["0", "two words", "-test.v"], { PROBE_VALUE: "x=y z" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /args \["0" "two words" "-test.v"\]/);
  assert.match(r.stdout, /env PROBE_VALUE="x=y z"/);
  assert.match(r.stderr, /to stderr/);
});

test("the Go program's exit status is the runner's", (t) => {
  if (skipReason) return t.skip(skipReason);
  assert.equal(run(["3"]).status, 3);
  assert.equal(run(["1"]).status, 1);
});

test("a missing binary is an error, not a hang", (t) => {
  if (skipReason) return t.skip(skipReason);
  const r = spawnSync(runner, [path.join(os.tmpdir(), "no-such-file.wasm")], { encoding: "utf8" });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no-such-file\.wasm/);
});

test("no arguments prints usage", () => {
  const r = spawnSync(runner, [], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage/);
});
