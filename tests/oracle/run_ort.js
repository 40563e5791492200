#!/usr/bin/env node
// Runs every case tests/oracle/make_cases.py wrote under CASES_DIR in ONNX Runtime (onnxruntime-node, fetched by
// bench/setup-ort) and stores ORT's outputs as the case's expected outputs, in ONNX's backend-test layout that
// `edgeinfer conformance` reads:
//
//   node tests/oracle/run_ort.js CASES_DIR --ort DIR
//
// Each case SUITE/CASE/ holds model.onnx and test_data_set_0/inputs.json (the inputs as the generator made them:
// name, ORT type, dims, base64 little-endian bytes or strings; input_K.pb holds the same tensors for edgeinfer).
// This writes test_data_set_0/output_K.pb (TensorProto: dims, data_type, raw_data or string_data) in the
// model's output order. A case ORT rejects is removed and listed in CASES_DIR/ort_rejected.txt with ORT's
// message, so the edgeinfer run sees only cases with a reference. Sessions run single-threaded with graph
// optimizations off, so the reference is ORT's plain kernels.
'use strict';
const fs = require('fs');
const path = require('path');

function fail(msg) {
  process.stderr.write(`run_ort: error: ${msg}\n`);
  process.exit(1);
}

// ONNX TensorProto.DataType of each ORT tensor type this script writes.
const kOnnxType = {float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9,
                   float16: 10, float64: 11, uint32: 12, uint64: 13};
const kTypedArray = {float32: Float32Array, uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array,
                     int16: Int16Array, int32: Int32Array, int64: BigInt64Array, bool: Uint8Array,
                     float16: Uint16Array, float64: Float64Array, uint32: Uint32Array, uint64: BigUint64Array};

function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}
function lengthDelimited(field, bytes) {
  return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
}

// A TensorProto: dims (1, packed), data_type (2), string_data (6), name (8), raw_data (9).
function tensorProto(name, tensor) {
  const type = kOnnxType[tensor.type];
  if (type === undefined) throw new Error(`output '${name}': ORT type ${tensor.type} cannot be stored`);
  const parts = [];
  if (tensor.dims.length) parts.push(lengthDelimited(1, Buffer.concat(tensor.dims.map((d) => varint(d)))));
  parts.push(Buffer.concat([varint(2 << 3), varint(type)]));
  if (tensor.type === 'string') {
    for (const s of tensor.data) parts.push(lengthDelimited(6, Buffer.from(s, 'utf8')));
  }
  parts.push(lengthDelimited(8, Buffer.from(name, 'utf8')));
  if (tensor.type !== 'string') {
    const d = tensor.data;
    parts.push(lengthDelimited(9, Buffer.from(d.buffer, d.byteOffset, d.byteLength)));
  }
  return Buffer.concat(parts);
}

function feedOf(ort, spec) {
  if (spec.type === 'string') return new ort.Tensor('string', spec.strings, spec.dims);
  const bytes = Buffer.from(spec.b64, 'base64');
  const Arr = kTypedArray[spec.type];
  if (!Arr) throw new Error(`input '${spec.name}': type ${spec.type} is not supported here`);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new ort.Tensor(spec.type, new Arr(copy.buffer, 0, bytes.length / Arr.BYTES_PER_ELEMENT), spec.dims);
}

async function runCase(ort, dir) {
  const set = path.join(dir, 'test_data_set_0');
  const specs = JSON.parse(fs.readFileSync(path.join(set, 'inputs.json'), 'utf8'));
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), {
    executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'disabled', logSeverityLevel: 4,
  });
  const feeds = {};
  for (const s of specs) feeds[s.name] = feedOf(ort, s);
  const outs = await session.run(feeds);
  session.outputNames.forEach((name, k) => {
    fs.writeFileSync(path.join(set, `output_${k}.pb`), tensorProto(name, outs[name]));
  });
  await session.release();
}

async function main() {
  const argv = process.argv.slice(2);
  let root, ortDir = path.join(__dirname, '..', '..', 'bench', '.ort');
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === '--ort' && i + 1 < argv.length) ortDir = argv[++i];
    else if (argv[i].startsWith('-')) fail(`unknown option ${argv[i]}`);
    else if (!root) root = argv[i];
    else fail(`unexpected argument ${argv[i]}`);
  }
  if (!root) fail('usage: run_ort.js CASES_DIR [--ort DIR]');
  let ort;
  try {
    ort = require(path.join(path.resolve(ortDir), 'node_modules', 'onnxruntime-node'));
  } catch (e) {
    fail(`onnxruntime-node not found in ${ortDir} (run bench/setup-ort): ${e.message.split('\n')[0]}`);
  }
  const rejected = [];
  let ok = 0;
  const cases = [];
  for (const suite of fs.readdirSync(root).sort()) {
    if (!fs.statSync(path.join(root, suite)).isDirectory()) continue;
    for (const name of fs.readdirSync(path.join(root, suite)).sort())
      if (fs.existsSync(path.join(root, suite, name, 'model.onnx'))) cases.push(`${suite}/${name}`);
  }
  for (const name of cases) {
    try {
      await runCase(ort, path.join(root, name));
      ++ok;
    } catch (e) {
      rejected.push(`${name}  # ${String(e.message).split('\n')[0]}`);
      fs.rmSync(path.join(root, name), {recursive: true, force: true});
    }
  }
  fs.writeFileSync(path.join(root, 'ort_rejected.txt'), rejected.map((l) => l + '\n').join(''));
  process.stdout.write(`run_ort: ${ok} cases with ORT outputs, ${rejected.length} rejected by ORT` +
                       (rejected.length ? ` (${path.join(root, 'ort_rejected.txt')})` : '') + '\n');
}

main();
