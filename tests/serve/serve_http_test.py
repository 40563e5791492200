#!/usr/bin/env python3
"""End-to-end test of `edgeinfer serve` over HTTP on loopback: real clients (Python requests, curl), outputs
compared with `edgeinfer run` (Session::run) and a numpy reference, malformed requests each answered with the
protocol's error while the server keeps serving, dynamic batching, overload (503), /metrics, SIGTERM.

usage: serve_http_test.py EDGEINFER_BINARY WORK_DIR"""
import concurrent.futures
import json
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import requests

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_serve_models  # noqa: E402

BINARY = pathlib.Path(sys.argv[1])
WORK = pathlib.Path(sys.argv[2])
MAX_BODY = 200000


def start_server(repo, *extra):
    proc = subprocess.Popen([str(BINARY), "serve", "--model-repository", str(repo), "--http-port", "0",
                             "--threads", "8", "--max-body-bytes", str(MAX_BODY), "--read-timeout-ms", "1500",
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"listening on (http://[0-9.]+:(\d+))", line)
    assert m, f"no 'listening on' line: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
    return proc, m.group(1)


def slow_model(root):
    """slow: x FP32 [N,512] through 3 pairs of MatMuls 512x4096 and 4096x512 (1.6 GFLOP at N=64: tens of ms on a
    quiet core, so that 8 requests at once overlap), no batching, 1 instance of 1 thread, queue of 1."""
    from onnx import TensorProto, helper, numpy_helper
    import onnx
    rng = np.random.default_rng(1)
    inits, nodes, prev = [], [], "x"
    for i in range(6):
        shape = (512, 4096) if i % 2 == 0 else (4096, 512)
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32),
                                             f"w{i}"))
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"h{i}" if i < 5 else "y"]))
        prev = f"h{i}"
    graph = helper.make_graph(nodes, "slow", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 512])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 512])], inits)
    (root / "slow/1").mkdir(parents=True, exist_ok=True)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(root / "slow/1/model.onnx"))
    (root / "slow/config.json").write_text(json.dumps({"max_batch_size": 0, "max_queue_size": 1, "threads": 1}))


def image_model(root):
    """shapes: the bundled demo classifier with its sidecar, served with the "image" extension."""
    models = HERE.parent.parent / "models"
    (root / "shapes/1").mkdir(parents=True, exist_ok=True)
    shutil.copy(models / "shapes.onnx", root / "shapes/1/model.onnx")
    shutil.copy(models / "shapes.json", root / "shapes/1/model.json")
    (root / "shapes/config.json").write_text(json.dumps({"image_task": "classify"}))


def check_image_extension(url):
    samples = HERE.parent.parent / "models/samples"
    files = ["circle_1.jpg", "star_2.png", "triangle_3.jpg"]
    blobs = [(samples / f).read_bytes() for f in files]
    packed = b"".join(len(b).to_bytes(4, "little") + b for b in blobs)
    header = json.dumps({"inputs": [{"name": "image", "datatype": "BYTES", "shape": [len(blobs)],
                                     "parameters": {"binary_data_size": len(packed)}}]}).encode()
    r = requests.post(f"{url}/v2/models/shapes/infer", data=header + packed,
                      headers={"Inference-Header-Content-Length": str(len(header))})
    assert r.status_code == 200, r.text
    out = r.json()["outputs"][0]
    assert out["name"] == "classification" and out["datatype"] == "BYTES" and out["shape"] == [3], out
    for f, text in zip(files, out["data"]):
        top = json.loads(text)["top"]
        assert top[0]["label"] == f.split("_")[0] and 0 < top[0]["score"] <= 1, (f, top)
    assert "image" in requests.get(f"{url}/v2").json()["extensions"]
    bad = b"not an image"
    packed = len(bad).to_bytes(4, "little") + bad
    header = json.dumps({"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1],
                                     "parameters": {"binary_data_size": len(packed)}}]}).encode()
    expect_error(requests.post(f"{url}/v2/models/shapes/infer", data=header + packed,
                               headers={"Inference-Header-Content-Length": str(len(header))}), 400,
                 "element 0", "not a decodable image")


def infer_json(url, model, x, **kw):
    body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": list(x.shape), "data": x.ravel().tolist()}]}
    return requests.post(f"{url}/v2/models/{model}/infer", json=body, timeout=30, **kw)


def session_run(model, x, name="x"):
    """What Session::run gives: `edgeinfer run MODEL -i x=x.npy -o DIR`."""
    d = WORK / "run_out"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    np.save(d / f"{name}.npy", x)
    subprocess.run([str(BINARY), "run", str(model), "-i", f"{name}={d / (name + '.npy')}", "-o", str(d)], check=True,
                   capture_output=True)
    return {p.stem: np.load(p) for p in d.glob("*.npy") if p.stem != name}


def expect_error(resp, status, *words):
    assert resp.status_code == status, f"{resp.status_code} != {status}: {resp.text}"
    msg = resp.json()["error"]
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


def check_health_and_metadata(url):
    assert requests.get(f"{url}/v2/health/live").status_code == 200
    assert requests.get(f"{url}/v2/health/ready").status_code == 200
    meta = requests.get(f"{url}/v2").json()
    assert meta["name"] == "edgeinfer" and "binary_tensor_data" in meta["extensions"], meta
    m = requests.get(f"{url}/v2/models/linear").json()
    assert m["name"] == "linear" and m["versions"] == ["1"], m
    assert m["inputs"] == [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}], m
    assert [o["name"] for o in m["outputs"]] == ["y", "z"], m
    assert requests.get(f"{url}/v2/models/twice").json()["versions"] == ["1", "2"]
    assert requests.get(f"{url}/v2/models/twice/versions/1").json()["versions"] == ["1"]
    assert requests.get(f"{url}/v2/models/linear/ready").status_code == 200
    assert requests.get(f"{url}/v2/models/twice/versions/2/ready").status_code == 200
    expect_error(requests.get(f"{url}/v2/models/twice/versions/7/ready"), 404, "twice", "7")
    # The broken model is reported with its reason; the others serve.
    expect_error(requests.get(f"{url}/v2/models/broken/ready"), 404, "broken")
    expect_error(requests.get(f"{url}/v2/models/nosuch"), 404, "nosuch")


def check_infer(url, repo):
    weights = np.load(repo / "linear_weights.npz")
    x = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)
    r = infer_json(url, "linear", x)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["model_name"] == "linear" and out["model_version"] == "1", out
    got = {o["name"]: np.array(o["data"], dtype=np.float32).reshape(o["shape"]) for o in out["outputs"]}
    ref = session_run(repo / "linear/1/model.onnx", x)
    np.testing.assert_array_equal(got["y"], ref["y"])  # same library, same shape: same bits
    np.testing.assert_array_equal(got["z"], ref["z"])
    np.testing.assert_allclose(got["y"], x @ weights["W"] + weights["b"], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got["z"], np.maximum(x, 0))

    # Nested data, a request id, one output asked for.
    body = {"id": "r-1", "inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 4], "data": x.tolist()}],
            "outputs": [{"name": "z"}]}
    out = requests.post(f"{url}/v2/models/linear/versions/1/infer", json=body).json()
    assert out["id"] == "r-1" and [o["name"] for o in out["outputs"]] == ["z"], out

    # Binary tensor data extension, both ways.
    header = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 4],
                                     "parameters": {"binary_data_size": x.nbytes}}],
                         "outputs": [{"name": "y", "parameters": {"binary_data": True}}, {"name": "z"}]}).encode()
    r = requests.post(f"{url}/v2/models/linear/infer", data=header + x.tobytes(),
                      headers={"Inference-Header-Content-Length": str(len(header)),
                               "Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    n = int(r.headers["Inference-Header-Content-Length"])
    meta = json.loads(r.content[:n])
    y_meta, z_meta = meta["outputs"]
    assert y_meta["parameters"]["binary_data_size"] == 9 * 4 and "data" not in y_meta, meta
    y = np.frombuffer(r.content[n:], dtype=np.float32).reshape(3, 3)
    np.testing.assert_array_equal(y, ref["y"])
    np.testing.assert_array_equal(np.array(z_meta["data"], dtype=np.float32).reshape(3, 4), ref["z"])

    # INT64 model, versions: latest by default.
    i = [[1, -2], [3, 40000000000]]
    body = {"inputs": [{"name": "i", "datatype": "INT64", "shape": [2, 2], "data": i}]}
    for path, factor in (("twice", 3), ("twice/versions/1", 2), ("twice/versions/2", 3)):
        out = requests.post(f"{url}/v2/models/{path}/infer", json=body).json()
        assert out["outputs"][0]["datatype"] == "INT64" and out["outputs"][0]["data"] == [factor * v for r in i for v in r], out

    # curl, as a user would.
    curl = subprocess.run(["curl", "-sS", "-X", "POST", f"{url}/v2/models/linear/infer", "-H",
                           "Content-Type: application/json", "-d",
                           json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4],
                                                   "data": [1, -2, 3, -4]}]})], capture_output=True, text=True,
                          check=True)
    z = [o for o in json.loads(curl.stdout)["outputs"] if o["name"] == "z"][0]
    assert z["data"] == [1, 0, 3, 0], curl.stdout
    code = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"{url}/v2/health/ready"],
                          capture_output=True, text=True).stdout
    assert code == "200", code


def check_malformed(url):
    post = lambda data, headers=None, model="linear": requests.post(f"{url}/v2/models/{model}/infer", data=data,
                                                                     headers=headers or {}, timeout=30)
    expect_error(post(b"{not json"), 400, "malformed JSON")
    expect_error(post(b"[1,2]"), 400, "not a JSON object")
    expect_error(post(json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4],
                                              "data": [1, 2, 3]}]})), 400, "'x'", "3 elements", "needs 4")
    expect_error(post(json.dumps({"inputs": [{"name": "x", "datatype": "FP99", "shape": [1, 4],
                                              "data": [1, 2, 3, 4]}]})), 400, "unknown datatype", "FP99")
    expect_error(post(json.dumps({"inputs": [{"name": "x", "datatype": "INT64", "shape": [1, 4],
                                              "data": [1, 2, 3, 4]}]})), 400, "'x'", "int64", "float32")
    expect_error(post(json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 5],
                                              "data": [1, 2, 3, 4, 5]}]})), 400, "'x'", "1x5")
    expect_error(post(json.dumps({"inputs": [{"name": "i", "datatype": "INT64", "shape": [1, 2],
                                              "data": [1, 2.5]}]}), model="twice"), 400, "element 1", "INT64")
    expect_error(post(json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4],
                                              "data": [1, 2, 3, 4]}]}), model="nosuch"), 404, "nosuch")
    expect_error(post(json.dumps({"inputs": [{"name": "q", "datatype": "FP32", "shape": [1, 4],
                                              "data": [1, 2, 3, 4]}]})), 400, "'x' is missing")
    expect_error(post("[" * 100000 + "]" * 100000), 400, "deeper")
    expect_error(post(b"x" * (MAX_BODY + 1)), 413, "limit")
    # Binary header lengths that lie.
    header = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4],
                                     "parameters": {"binary_data_size": 16}}]}).encode()
    payload = np.arange(4, dtype=np.float32).tobytes()
    expect_error(post(header + payload, {"Inference-Header-Content-Length": str(len(header) + 100)}), 400,
                 "exceeds the body")
    expect_error(post(header + payload, {"Inference-Header-Content-Length": "12abc"}), 400, "byte count")
    expect_error(post(header + payload[:8], {"Inference-Header-Content-Length": str(len(header))}), 400,
                 "overruns")
    expect_error(post(header + payload + b"xx", {"Inference-Header-Content-Length": str(len(header))}), 400,
                 "belong to no input")
    lie = header.replace(b"16", b"12")
    expect_error(post(lie + payload[:12], {"Inference-Header-Content-Length": str(len(lie))}), 400,
                 "do not match shape")
    expect_error(requests.get(f"{url}/v2/nothing/here"), 404, "no endpoint")


def check_slow_client(url, port):
    """A client that sends half a request and stalls holds one connection; others are served meanwhile, and
    the stalled one is dropped after the read timeout."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /v2/models/linear/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"inputs\"")
    start = time.time()
    x = np.ones((1, 4), dtype=np.float32)
    assert infer_json(url, "linear", x).status_code == 200
    assert time.time() - start < 1.0, "a stalled client delayed another"
    s.settimeout(10)
    rest = s.recv(4096)  # the server gives up on it: closes, or answers 400
    assert rest == b"" or b"400" in rest.split(b"\r\n")[0], rest
    s.close()


def check_batching_and_metrics(url, repo):
    xs = [np.random.default_rng(100 + k).standard_normal((1 + k % 2, 4)).astype(np.float32) for k in range(16)]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda x: infer_json(url, "linear", x), xs))
    weights = np.load(repo / "linear_weights.npz")
    for x, r in zip(xs, results):
        assert r.status_code == 200, r.text
        y = [o for o in r.json()["outputs"] if o["name"] == "y"][0]
        assert y["shape"] == [x.shape[0], 3]
        np.testing.assert_allclose(np.array(y["data"]).reshape(y["shape"]), x @ weights["W"] + weights["b"],
                                   rtol=1e-5, atol=1e-5)
    text = requests.get(f"{url}/metrics").text

    def metric(name, model="linear"):
        m = re.search(rf'^{name}{{model="{model}",version="1"}} (\d+)$', text, re.M)
        assert m, f"{name} for {model} missing:\n{text}"
        return int(m.group(1))

    assert metric("nv_inference_request_success") >= 16
    assert metric("nv_inference_request_failure") >= 1  # the malformed requests that reached the model
    rows, execs = metric("nv_inference_count"), metric("nv_inference_exec_count")
    assert execs < rows, f"no batching: {execs} executions for {rows} rows"
    for name in ("nv_inference_request_duration_us", "nv_inference_queue_duration_us",
                 "nv_inference_compute_infer_duration_us"):
        assert metric(name) > 0
    assert re.search(r'^edgeinfer_inference_batch_size_bucket\{model="linear",version="1",le="\+Inf"\} (\d+)$',
                     text, re.M), text
    return text


def post_slow(url):
    """One request to `slow` (1.6 GFLOP on one thread)."""
    x = np.random.default_rng(5).standard_normal((64, 512)).astype(np.float32)
    body = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [64, 512],
                                   "parameters": {"binary_data_size": x.nbytes}}]}).encode()
    return requests.post(f"{url}/v2/models/slow/infer", data=body + x.tobytes(),
                         headers={"Inference-Header-Content-Length": str(len(body))}, timeout=60)


def check_overload(url):
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: post_slow(url), range(8)))
    codes = sorted(r.status_code for r in results)
    assert 200 in codes and 503 in codes and set(codes) <= {200, 503}, codes
    expect_error([r for r in results if r.status_code == 503][0], 503, "queue full", "slow")


def check_repository(url):
    index = requests.post(f"{url}/v2/repository/index").json()
    states = {(m["name"], m.get("version", "")): m for m in index}
    assert states[("linear", "1")]["state"] == "READY" and states[("twice", "2")]["state"] == "READY", index
    broken = states[("broken", "")]
    assert broken["state"] == "UNAVAILABLE" and "broken" in broken["reason"], broken
    ready = requests.post(f"{url}/v2/repository/index", json={"ready": True}).json()
    assert all(m["state"] == "READY" for m in ready) and not any(m["name"] == "broken" for m in ready), ready
    body = {"inputs": [{"name": "i", "datatype": "INT64", "shape": [1, 2], "data": [1, 2]}]}
    assert requests.post(f"{url}/v2/repository/models/twice/unload").status_code == 200
    expect_error(requests.post(f"{url}/v2/models/twice/infer", json=body), 404, "twice")
    expect_error(requests.post(f"{url}/v2/repository/models/twice/unload"), 404, "not loaded")
    assert requests.post(f"{url}/v2/repository/models/twice/load").status_code == 200
    assert requests.post(f"{url}/v2/models/twice/infer", json=body).json()["outputs"][0]["data"] == [3, 6]
    expect_error(requests.post(f"{url}/v2/repository/models/broken/load"), 400, "broken")
    expect_error(requests.post(f"{url}/v2/repository/models/nosuch/load"), 404, "nosuch")


def check_graceful_stop(proc, port):
    """SIGTERM while a request is half sent: the server stops accepting, still answers it, and exits 0."""
    body = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [1, -1, 2, -2]}],
                       "outputs": [{"name": "z"}]}).encode()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /v2/models/linear/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        raise AssertionError("a new connection was accepted after SIGTERM")
    except OSError:
        pass
    s.sendall(body[10:])
    s.settimeout(10)
    reply = b""
    while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
        chunk = s.recv(4096)
        if not chunk:
            break
        reply += chunk
    s.close()
    assert reply.startswith(b"HTTP/1.1 200"), reply
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["outputs"][0]["data"] == [1, 0, 2, 0], reply
    assert proc.wait(timeout=30) == 0
    assert "stopped by SIGTERM" in proc.stderr.read()


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    repo = WORK / "repo"
    make_serve_models.main_at(repo)
    slow_model(repo)
    image_model(repo)
    proc, url = start_server(repo)
    try:
        port = int(url.rsplit(":", 1)[1])
        for name, check in [("health and metadata", lambda: check_health_and_metadata(url)),
                            ("infer", lambda: check_infer(url, repo)),
                            ("malformed requests", lambda: check_malformed(url)),
                            ("slow client", lambda: check_slow_client(url, port)),
                            ("batching and metrics", lambda: check_batching_and_metrics(url, repo)),
                            ("overload", lambda: check_overload(url)),
                            ("repository extension", lambda: check_repository(url)),
                            ("image extension", lambda: check_image_extension(url)),
                            ("still serving", lambda: check_health_and_metadata(url)),
                            ("graceful stop", lambda: check_graceful_stop(proc, port))]:
            check()
            print(f"ok: {name}", flush=True)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print("serve_http_test: all passed")


if __name__ == "__main__":
    main()
