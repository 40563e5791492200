#!/usr/bin/env node
// ONNX Runtime (onnxruntime-node, fetched by bench/setup-ort) timed like `edgeinfer bench`, for bench/run_suite.py.
//
//   node bench/ort_bench.js MODEL.onnx --input FILE.npy [--input FILE.npy ...] [--threads N] [--warmup W]
//                           [--iterations N] [--seconds S] [--ort DIR] [--json] [--profile FILE]
//
// Session: intraOpNumThreads = --threads, interOpNumThreads = 1, executionMode 'sequential',
// graphOptimizationLevel 'all' (ORT_ENABLE_ALL), CPU execution provider. Timing as edgeinfer bench: one first
// run per input file (the first one reported as first_run_ms), --warmup untimed runs, then timed runs until both
// --iterations and --seconds are met; the .npy files (float32, C order) feed the model's only input, rotated.
//
// --profile FILE turns on ORT's profiler (enableProfiling) and writes FILE as JSON: {runtime, threads, runs,
// nodes: [{name, op_type, provider, mean_ms, min_ms, runs}]}, the kernel time of every node ORT ran (its own
// node names, after its graph optimizations: fused nodes are often named after their last output, e.g.
// X_output_0_nchwc) per timed run, mean and minimum over the timed runs only (the profiler's model_run events
// delimit the runs). Profiling adds a little time per node, so the latencies of a profiled run read high.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

function fail(msg) {
  process.stderr.write(`ort_bench: error: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const a = {inputs: [], threads: 1, warmup: 3, iterations: 10, seconds: 1.0, json: false,
             ort: path.join(__dirname, '.ort')};
  for (let i = 0; i < argv.length; ++i) {
    const k = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) fail(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--input') a.inputs.push(next());
    else if (k === '--threads') a.threads = parseInt(next(), 10);
    else if (k === '--warmup') a.warmup = parseInt(next(), 10);
    else if (k === '--iterations') a.iterations = parseInt(next(), 10);
    else if (k === '--seconds') a.seconds = parseFloat(next());
    else if (k === '--ort') a.ort = next();
    else if (k === '--json') a.json = true;
    else if (k === '--profile') a.profile = next();
    else if (k.startsWith('-')) fail(`unknown option ${k}`);
    else if (!a.model) a.model = k;
    else fail(`unexpected argument ${k}`);
  }
  if (!a.model) fail('no model given');
  if (a.inputs.length === 0) fail('no --input FILE.npy given');
  if (!(a.threads >= 1) || !(a.warmup >= 0) || !(a.iterations >= 1) || !(a.seconds > 0))
    fail('--threads and --iterations must be >= 1, --warmup >= 0, --seconds > 0');
  return a;
}

// A float32 little-endian C-order .npy file (format version 1-3) -> {dims, data}.
function readNpy(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    fail(`${file}: ${e.message}`);
  }
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') fail(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) fail(`${file}: unreadable .npy header`);
  if (descr[1] !== '<f4') fail(`${file}: dtype ${descr[1]}, only float32 ('<f4') is supported`);
  if (fortran[1] === 'True') fail(`${file}: Fortran order is not supported`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map((s) => parseInt(s, 10));
  const count = dims.reduce((p, d) => p * d, 1);
  const offset = start + headerLen;
  if (buf.length - offset < count * 4) fail(`${file}: ${buf.length - offset} data bytes for shape [${dims}]`);
  const data = new Float32Array(count);
  Buffer.from(data.buffer).set(buf.subarray(offset, offset + count * 4));
  return {dims, data};
}

// ORT's profile (a Chrome trace: Session events 'model_run', Node events '<node>_kernel_time' with dur in us)
// -> per-node kernel times over the last `runs` model runs.
function summarizeProfile(trace, runs) {
  const windows = trace.filter((e) => e.cat === 'Session' && e.name === 'model_run')
                      .sort((x, y) => x.ts - y.ts)
                      .slice(-runs)
                      .map((e) => [e.ts, e.ts + e.dur]);
  if (windows.length < runs) fail(`profile: ${windows.length} model_run events for ${runs} timed runs`);
  const byName = new Map();
  for (const e of trace) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const w = windows.findIndex(([b, end]) => e.ts >= b && e.ts <= end);
    if (w < 0) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!byName.has(name))
      byName.set(name, {name, op_type: e.args.op_name, provider: e.args.provider, per_run: new Array(runs).fill(0)});
    byName.get(name).per_run[w] += e.dur / 1e3;
  }
  return [...byName.values()].map((n) => ({
                                   name: n.name,
                                   op_type: n.op_type,
                                   provider: n.provider,
                                   mean_ms: n.per_run.reduce((p, x) => p + x, 0) / runs,
                                   min_ms: Math.min(...n.per_run),
                                   runs,
                                 }))
      .sort((x, y) => y.mean_ms - x.mean_ms);
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  let ort;
  try {
    ort = require(path.join(path.resolve(a.ort), 'node_modules', 'onnxruntime-node'));
  } catch (e) {
    fail(`onnxruntime-node not found in ${a.ort} (run bench/setup-ort): ${e.message.split('\n')[0]}`);
  }
  const version = JSON.parse(
      fs.readFileSync(path.join(path.resolve(a.ort), 'node_modules', 'onnxruntime-node', 'package.json'))).version;
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  let profileDir;
  if (a.profile) {
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort_bench_profile_'));
    options.enableProfiling = true;
    options.profileFilePrefix = path.join(profileDir, 'ort');
  }
  const t0 = process.hrtime.bigint();
  let session;
  try {
    session = await ort.InferenceSession.create(a.model, options);
  } catch (e) {
    fail(`${a.model}: ${e.message}`);
  }
  const createMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (session.inputNames.length !== 1) fail(`${a.model}: ${session.inputNames.length} inputs, only one is supported`);
  const name = session.inputNames[0];
  const feeds = a.inputs.map((f) => {
    const {dims, data} = readNpy(f);
    return {[name]: new ort.Tensor('float32', data, dims)};
  });
  const ms = () => Number(process.hrtime.bigint()) / 1e6;
  let firstRun = 0;
  try {
    for (let k = 0; k < feeds.length; ++k) {
      const s = ms();
      await session.run(feeds[k]);
      if (k === 0) firstRun = ms() - s;
    }
    for (let i = 0; i < a.warmup; ++i) await session.run(feeds[i % feeds.length]);
    const latencies = [];
    const cpu0 = process.cpuUsage();
    const start = ms();
    for (let i = 0; i < a.iterations || ms() - start < a.seconds * 1e3; ++i) {
      const s = ms();
      await session.run(feeds[i % feeds.length]);
      latencies.push(ms() - s);
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuMsPerRun = (cpu.user + cpu.system) / 1e3 / latencies.length;
    const sorted = [...latencies].sort((x, y) => x - y);
    const median = sorted[Math.floor(sorted.length / 2)];
    if (a.profile) {
      session.endProfiling();
      const files = fs.readdirSync(profileDir).filter((f) => f.endsWith('.json'));
      if (files.length !== 1) fail(`profile: ${files.length} trace files in ${profileDir}`);
      const trace = JSON.parse(fs.readFileSync(path.join(profileDir, files[0]), 'utf8'));
      fs.rmSync(profileDir, {recursive: true});
      const nodes = summarizeProfile(trace, latencies.length);
      try {
        fs.writeFileSync(a.profile, JSON.stringify({runtime: `onnxruntime ${version}`, threads: a.threads,
                                                    runs: latencies.length, nodes}, null, 1) + '\n');
      } catch (e) {
        fail(`--profile ${a.profile}: ${e.message}`);
      }
    }
    if (a.json) {
      process.stdout.write(JSON.stringify({runtime: `onnxruntime ${version}`, threads: a.threads,
                                           session_create_ms: createMs, first_run_ms: firstRun,
                                           median_ms: median, cpu_ms_per_run: cpuMsPerRun,
                                           latencies_ms: latencies}) + '\n');
    } else {
      process.stdout.write(`onnxruntime ${version}, ${a.threads} thread(s): median ${median.toFixed(3)} ms over ` +
                           `${latencies.length} runs (first run ${firstRun.toFixed(1)} ms)\n`);
    }
  } catch (e) {
    fail(`${a.model}: run: ${e.message}`);
  }
}

main();
