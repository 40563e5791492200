#!/usr/bin/env python3
"""End-to-end test of `edgeinfer serve --grpc-port` with Debian's python3-grpcio: stubs generated at test time
from proto/grpc_service.proto by `python3 -m grpc_tools.protoc`, every GRPCInferenceService method, raw and
typed contents compared with `edgeinfer run` (Session::run) and numpy, and the gRPC error codes.

usage: serve_grpc_test.py EDGEINFER_BINARY WORK_DIR"""
import json
import pathlib
import re
import shutil
import signal
import subprocess
import sys

import grpc
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_serve_models  # noqa: E402

BINARY = pathlib.Path(sys.argv[1])
WORK = pathlib.Path(sys.argv[2])
PROTO = HERE.parent.parent / "proto"


def stubs():
    out = WORK / "stubs"
    out.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO}", f"--python_out={out}",
                    f"--grpc_python_out={out}", str(PROTO / "grpc_service.proto")], check=True)
    sys.path.insert(0, str(out))
    import grpc_service_pb2
    import grpc_service_pb2_grpc
    return grpc_service_pb2, grpc_service_pb2_grpc


def session_run(model, x):
    d = WORK / "run_out"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    np.save(d / "x.npy", x)
    subprocess.run([str(BINARY), "run", str(model), "-i", f"x={d / 'x.npy'}", "-o", str(d)], check=True,
                   capture_output=True)
    return {p.stem: np.load(p) for p in d.glob("*.npy") if p.stem != "x"}


def expect_code(call, code, *words):
    try:
        call()
    except grpc.RpcError as e:
        assert e.code() == code, f"{e.code()} != {code}: {e.details()}"
        for w in words:
            assert w in e.details(), f"{w!r} not in {e.details()!r}"
        return
    raise AssertionError(f"no error, expected {code}")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    repo = WORK / "repo"
    make_serve_models.main_at(repo)
    models = HERE.parent.parent / "models"  # the bundled classifier and its sidecar, for the "image" extension
    (repo / "shapes/1").mkdir(parents=True)
    shutil.copy(models / "shapes.onnx", repo / "shapes/1/model.onnx")
    shutil.copy(models / "shapes.json", repo / "shapes/1/model.json")
    (repo / "shapes/config.json").write_text('{"image_task": "classify"}')
    pb, pb_grpc = stubs()
    proc = subprocess.Popen([str(BINARY), "serve", "--model-repository", str(repo), "--http-port", "0",
                             "--grpc-port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        m = re.search(r"grpc on port (\d+)", line)
        assert m, line
        channel = grpc.insecure_channel(f"127.0.0.1:{m.group(1)}")
        grpc.channel_ready_future(channel).result(timeout=10)
        stub = pb_grpc.GRPCInferenceServiceStub(channel)

        assert stub.ServerLive(pb.ServerLiveRequest()).live
        assert stub.ServerReady(pb.ServerReadyRequest()).ready
        meta = stub.ServerMetadata(pb.ServerMetadataRequest())
        assert meta.name == "edgeinfer" and "model_repository" in meta.extensions, meta
        assert stub.ModelReady(pb.ModelReadyRequest(name="linear")).ready
        assert not stub.ModelReady(pb.ModelReadyRequest(name="broken")).ready
        mm = stub.ModelMetadata(pb.ModelMetadataRequest(name="linear"))
        assert mm.inputs[0].name == "x" and mm.inputs[0].datatype == "FP32" and list(mm.inputs[0].shape) == [-1, 4]
        assert list(stub.ModelMetadata(pb.ModelMetadataRequest(name="twice")).versions) == ["1", "2"]
        print("ok: health and metadata")

        # Raw contents in and out, compared with Session::run and numpy.
        x = np.random.default_rng(11).standard_normal((5, 4)).astype(np.float32)
        req = pb.ModelInferRequest(model_name="linear", id="g1")
        req.inputs.add(name="x", datatype="FP32", shape=[5, 4])
        req.raw_input_contents.append(x.tobytes())
        resp = stub.ModelInfer(req)
        assert resp.model_name == "linear" and resp.model_version == "1" and resp.id == "g1"
        got = {o.name: np.frombuffer(raw, dtype=np.float32).reshape(o.shape)
               for o, raw in zip(resp.outputs, resp.raw_output_contents)}
        ref = session_run(repo / "linear/1/model.onnx", x)
        np.testing.assert_array_equal(got["y"], ref["y"])
        np.testing.assert_array_equal(got["z"], ref["z"])
        w = np.load(repo / "linear_weights.npz")
        np.testing.assert_allclose(got["y"], x @ w["W"] + w["b"], rtol=1e-5, atol=1e-5)

        # Typed contents, one output asked for, a version.
        req = pb.ModelInferRequest(model_name="twice", model_version="1")
        t = req.inputs.add(name="i", datatype="INT64", shape=[2, 2])
        t.contents.int64_contents.extend([1, -2, 3, 1 << 40])
        req.outputs.add(name="o")
        resp = stub.ModelInfer(req)
        o = np.frombuffer(resp.raw_output_contents[0], dtype=np.int64)
        assert list(o) == [2, -4, 6, 2 << 40] and resp.outputs[0].datatype == "INT64", resp
        print("ok: infer")

        # The "image" extension: encoded pictures as a BYTES input, typed results as JSON strings.
        blobs = [(models / "samples" / f).read_bytes() for f in ("square_1.jpg", "ring_2.png")]
        req = pb.ModelInferRequest(model_name="shapes")
        req.inputs.add(name="image", datatype="BYTES", shape=[2])
        req.raw_input_contents.append(b"".join(len(b).to_bytes(4, "little") + b for b in blobs))
        resp = stub.ModelInfer(req)
        assert resp.outputs[0].name == "classification" and list(resp.outputs[0].shape) == [2], resp.outputs
        raw, labels = resp.raw_output_contents[0], []
        while raw:
            n = int.from_bytes(raw[:4], "little")
            labels.append(json.loads(raw[4:4 + n])["top"][0]["label"])
            raw = raw[4 + n:]
        assert labels == ["square", "ring"], labels
        print("ok: image extension")

        # Errors.
        bad = pb.ModelInferRequest(model_name="nosuch")
        bad.inputs.add(name="x", datatype="FP32", shape=[1, 4]).contents.fp32_contents.extend([1, 2, 3, 4])
        expect_code(lambda: stub.ModelInfer(bad), grpc.StatusCode.NOT_FOUND, "nosuch")
        bad.model_name = "linear"
        bad.inputs[0].contents.fp32_contents.append(5)
        expect_code(lambda: stub.ModelInfer(bad), grpc.StatusCode.INVALID_ARGUMENT, "'x'", "5 elements")
        lie = pb.ModelInferRequest(model_name="linear")
        lie.inputs.add(name="x", datatype="FP32", shape=[1, 4])
        lie.raw_input_contents.append(b"\0" * 12)
        expect_code(lambda: stub.ModelInfer(lie), grpc.StatusCode.INVALID_ARGUMENT, "12 bytes", "1x4")
        wrong = pb.ModelInferRequest(model_name="linear")
        wrong.inputs.add(name="x", datatype="INT64", shape=[1, 4]).contents.int64_contents.extend([1, 2, 3, 4])
        expect_code(lambda: stub.ModelInfer(wrong), grpc.StatusCode.INVALID_ARGUMENT, "int64")
        expect_code(lambda: stub.ModelMetadata(pb.ModelMetadataRequest(name="broken")), grpc.StatusCode.NOT_FOUND,
                    "broken")
        print("ok: errors")

        # Repository extension.
        index = stub.RepositoryIndex(pb.RepositoryIndexRequest()).models
        broken = [m for m in index if m.name == "broken"][0]
        assert broken.state == "UNAVAILABLE" and "broken" in broken.reason, broken
        assert all(m.state == "READY" for m in stub.RepositoryIndex(pb.RepositoryIndexRequest(ready=True)).models)
        stub.RepositoryModelUnload(pb.RepositoryModelUnloadRequest(model_name="twice"))
        assert not stub.ModelReady(pb.ModelReadyRequest(name="twice")).ready
        expect_code(lambda: stub.RepositoryModelUnload(pb.RepositoryModelUnloadRequest(model_name="twice")),
                    grpc.StatusCode.NOT_FOUND, "not loaded")
        stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="twice"))
        assert stub.ModelReady(pb.ModelReadyRequest(name="twice", version="2")).ready
        expect_code(lambda: stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="broken")),
                    grpc.StatusCode.INVALID_ARGUMENT, "broken")
        print("ok: repository extension")

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print("serve_grpc_test: all passed")


if __name__ == "__main__":
    main()
