'use strict';
/**
 * worker_threads entry for the OCR pool's tesseract.js workers (pool.ts spawns this file and
 * speaks tesseract.js's worker protocol to it). It loads tesseract.js's own Node worker script
 * after two small adjustments:
 *
 * 1. Console. The emscripten build of tesseract binds console.log / console.error when it loads
 *    and prints leptonica's and tesseract's diagnostics there ("Error in pixScanForForeground:
 *    invalid box", "Detected 40 diacritics"): on a scanner's terminal that is one line of noise
 *    per image. The console is replaced before the worker script loads; every line goes to the
 *    main thread as `{ status: 'casb-log', level, text }`, which the pool hands to its `onLog`
 *    option (default: dropped).
 * 2. Memory. The wasm linear memory of a tesseract instance only ever grows (a 20 MP image
 *    leaves the heap at its high-water mark until the worker ends). The exported Memory is
 *    captured when the module is instantiated, and every reply to the main thread carries its
 *    current size as `wasmBytes`, so the pool can recycle exactly the worker that grew.
 */
const path = require('node:path');
const { parentPort } = require('node:worker_threads');

const forward = (level) => (...args) => {
  try {
    parentPort.postMessage({ status: 'casb-log', level, text: args.map((a) => String(a)).join(' ') });
  } catch {
    // the port is closing: nothing to report to
  }
};
console.log = forward('log');
console.info = forward('info');
console.debug = forward('debug');
console.warn = forward('warn');
console.error = forward('error');

const memories = [];
const instantiate = WebAssembly.instantiate;
WebAssembly.instantiate = async function patchedInstantiate(...args) {
  const result = await instantiate.apply(this, args);
  const instance = result instanceof WebAssembly.Instance ? result : result.instance;
  if (instance) for (const v of Object.values(instance.exports)) if (v instanceof WebAssembly.Memory) memories.push(v);
  return result;
};

const post = parentPort.postMessage.bind(parentPort);
parentPort.postMessage = (msg, transfer) => {
  if (msg && typeof msg === 'object' && msg.status !== 'progress' && msg.status !== 'casb-log') {
    let bytes = 0;
    for (const m of memories) bytes += m.buffer.byteLength;
    msg.wasmBytes = bytes;
  }
  return post(msg, transfer);
};

require(path.join(path.dirname(require.resolve('tesseract.js')), 'worker-script', 'node', 'index.js'));
