// run.mjs: node host for Pare's GOOS=js GOARCH=wasm binaries (test binaries
// from `go test -exec`, or the CLI). It is the stock wasm_exec_node.js plus
// the "pare_gemm" import from www/js/simd-kernel.js. Start it through
// go_js_wasm_exec beside this file, which sets node's flags.
//
//   node run.mjs prog.wasm [args...]
//
// With PARE_WASM_MEMORY set in the environment it prints the size of the
// program's linear memory when it exits (its peak) to stderr.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { provideSimdKernel } from "../../www/js/simd-kernel.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const kernelDir = path.join(here, "..", "..", "core", "gemm", "simd");

if (process.argv.length < 3) {
  console.error("usage: go_js_wasm_exec prog.wasm [args...]");
  process.exit(2);
}

// wasm_exec.js must come from the GOROOT that compiled the binary: the
// import names between Go's runtime and its JS glue change between releases.
// `go test` and `go run` put GOROOT in the child's environment.
function goroot() {
  if (process.env.GOROOT) return process.env.GOROOT;
  try {
    return execFileSync("go", ["env", "GOROOT"], { encoding: "utf8" }).trim();
  } catch {
    console.error("go_js_wasm_exec: GOROOT is not set and `go env GOROOT` failed: set GOROOT to the Go that built the binary");
    process.exit(2);
  }
}

// wasm_exec.js is a classic script that reads node's modules from globals
// (real files, real stdout) and defines globalThis.Go.
const require = createRequire(import.meta.url);
globalThis.require = require;
globalThis.fs = fs;
globalThis.path = path;
const wasmExecJS = path.join(goroot(), "lib", "wasm", "wasm_exec.js");
if (!fs.existsSync(wasmExecJS)) {
  console.error(`go_js_wasm_exec: ${wasmExecJS} not found: GOROOT must be the Go installation that built the binary`);
  process.exit(2);
}
require(wasmExecJS);

function readKernel(name) {
  try {
    return fs.readFileSync(path.join(kernelDir, name));
  } catch {
    return null; // without it Go falls back to its pure-Go kernel
  }
}

const go = new globalThis.Go();
go.argv = process.argv.slice(2);
go.env = Object.assign({ TMPDIR: os.tmpdir() }, process.env);
go.exit = process.exit;

try {
  const simd = provideSimdKernel(go.importObject, {
    simd: readKernel("kernel.wasm"),
    relaxed: readKernel("kernel_relaxed.wasm"),
    mode: process.env.PARE_SIMD || "auto",
  });
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(process.argv[2]), go.importObject);
  simd.attach(instance);
  // The linear memory's size, for a program that measures its own
  // (tools/bench: its memory before it opens the model and at its peak).
  globalThis.pareWasmMemoryBytes = () => instance.exports.mem.buffer.byteLength;
  if (process.env.PARE_WASM_MEMORY) {
    // The linear memory's size at exit, which is its peak: it never
    // shrinks. What the Go runtime reports (MemStats.Sys) is its own
    // account of it; this is what the engine holds.
    process.on("exit", () => {
      console.error(`wasm linear memory: ${instance.exports.mem.buffer.byteLength} bytes`);
    });
  }
  process.on("exit", (code) => {
    // node exits when no event is pending: if Go has not exited, every
    // goroutine is blocked; resume Go once so it reports the deadlock.
    if (code === 0 && !go.exited) {
      go._pendingEvent = { id: 0 };
      go._resume();
    }
  });
  await go.run(instance);
} catch (err) {
  console.error(err);
  process.exit(1);
}
