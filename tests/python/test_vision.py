"""edgeinfer vision tasks and frame sources from Python: the bundled shapes models on models/samples (each
file name starts with its class), the same answers as the CLI (the C++ API), RGB input, numpy frames from
sources, clip classification, and the error classes for bad images and options."""
import json
import os
import subprocess

import numpy as np
import pytest

import edgeinfer

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(SOURCE, "models")
SAMPLES = os.path.join(MODELS, "samples")


def samples():
    """(file name, BGR array) for every sample, read through edgeinfer's own folder source."""
    return [(os.path.basename(f.source_id), f.image) for f in edgeinfer.open_source(SAMPLES)]


def test_open_source_yields_numpy_frames():
    frames = list(edgeinfer.open_source(SAMPLES))
    assert len(frames) == len(os.listdir(SAMPLES))
    for i, f in enumerate(frames):
        assert f.image.dtype == np.uint8 and f.image.ndim == 3 and f.image.shape[2] == 3
        assert f.seq == i and f.source_id.startswith(SAMPLES)
        assert f.timestamp == pytest.approx(f.timestamp_us / 1e6)
    limited = list(edgeinfer.open_source("pattern:64x48", limit=5))
    assert len(limited) == 5 and all(f.image.shape == (48, 64, 3) for f in limited)
    src = edgeinfer.open_source("pattern:32x32", rate=50, limit=4)
    stamps = [f.timestamp_us for f in src]
    assert len(stamps) == 4
    with pytest.raises(edgeinfer.NotFound, match="no_such_folder"):
        edgeinfer.open_source(os.path.join(SAMPLES, "no_such_folder"))


def test_classifier_names_every_sample():
    clf = edgeinfer.Classifier(os.path.join(MODELS, "shapes.onnx"), top_k=3, threads=1)
    assert clf.labels[:2] == ["circle", "square"]
    found = samples()
    assert len(found) == len(os.listdir(SAMPLES)) >= 15
    for name, image in found:
        r = clf.classify(image)
        assert r.label == name.split("_")[0], (name, r)
        assert 0.0 < r.score <= 1.0 and r.score == r.top[0].score and len(r.top) == 3
        assert r.top[0].score >= r.top[1].score >= r.top[2].score
        # The same pixels in RGB order with rgb=True: the same answer.
        rgb = np.ascontiguousarray(image[:, :, ::-1])
        assert clf.classify(rgb, rgb=True).top[0].score == pytest.approx(r.score, abs=1e-6)
    batch = clf.classify_batch([img for _, img in found[:4]])
    assert [b.label for b in batch] == [clf.classify(img).label for _, img in found[:4]]


def test_classifier_reads_strided_views_and_gray():
    clf = edgeinfer.Classifier(os.path.join(MODELS, "shapes.onnx"), threads=1)
    name, image = samples()[0]
    padded = np.zeros((image.shape[0] + 8, image.shape[1] + 8, 3), np.uint8)
    padded[4:-4, 4:-4] = image
    view = padded[4:-4, 4:-4]  # rows apart: no copy needed, same answer
    assert clf.classify(view).top[0].score == pytest.approx(clf.classify(image).top[0].score, abs=1e-6)
    gray = image.mean(axis=2).astype(np.uint8)
    assert clf.classify(gray).label is not None


def test_classifier_engine_cache(tmp_path):
    model = os.path.join(MODELS, "shapes.onnx")
    cache = tmp_path / "cache"
    name, image = samples()[0]
    want = edgeinfer.Classifier(model, threads=1).classify(image).top[0].score
    first = edgeinfer.Classifier(model, threads=1, engine_cache=cache)
    (entry,) = os.listdir(cache)
    written = os.stat(cache / entry).st_mtime_ns
    again = edgeinfer.Classifier(model, threads=1, engine_cache=cache)  # loads the entry, writes nothing
    assert os.listdir(cache) == [entry] and os.stat(cache / entry).st_mtime_ns == written
    assert again.classify(image).top[0].score == pytest.approx(want, abs=1e-6)
    assert first.classify(image).top[0].score == pytest.approx(want, abs=1e-6)


def cli_json(binary, *args):
    p = subprocess.run([binary, *args, "--json", "--no-progress", "-t", "1"], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    return [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]


def test_detector_matches_the_cpp_api(edgeinfer_binary):
    model = os.path.join(MODELS, "shapes_detector.onnx")
    det = edgeinfer.Detector(model, threads=1)
    want = cli_json(edgeinfer_binary, "detect", model, SAMPLES)
    found = samples()
    assert len(want) == len(found)
    total = 0
    for (name, image), line in zip(found, want):
        got = det.detect(image)
        total += len(got)
        assert os.path.basename(line["source"]) == name
        objects = line["results"]
        assert len(got) == len(objects), (name, line)
        for d, w in zip(got, objects):
            assert d.label == w["label"]
            assert d.score == pytest.approx(w.get("score", w.get("confidence")), abs=1e-4)
            assert list(d.box) == pytest.approx(w["box"], abs=0.05)
            assert d.track_id == -1 and d.box.width > 0 and d.box.height > 0
    assert total > 0


def test_segmenter_covers_the_image():
    seg = edgeinfer.Segmenter(os.path.join(MODELS, "shapes_segmenter.onnx"), threads=1)
    name, image = samples()[0]
    r = seg.segment(image)
    assert (r.height, r.width) == image.shape[:2]
    assert r.mask.shape == image.shape[:2] and r.mask.dtype == np.int32
    assert sum(c.pixels for c in r.classes) == int((r.mask >= 0).sum())
    assert sum(c.share for c in r.classes) == pytest.approx(1.0, abs=1e-6)
    assert r.classes[0].pixels == max(int((r.mask == c.index).sum()) for c in r.classes)


def test_clip_classifier_sees_brightening(tmp_path):
    out = tmp_path / "classify_models"
    p = subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "tests", "tools", "make_classify_models.py"),
                        os.path.join(MODELS, "shapes.onnx"), str(out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    clip = edgeinfer.ClipClassifier(str(out / "trend.onnx"), threads=1)
    assert clip.clip_frames == 4 and clip.labels == ["brightening", "darkening", "steady"]
    frames = [np.full((32, 32, 3), v, np.uint8) for v in (40, 80, 120, 160)]
    assert clip.classify(frames).label == "brightening"
    assert clip.classify(frames[::-1]).label == "darkening"


def test_errors_from_bad_images_and_options(tmp_path):
    model = os.path.join(MODELS, "shapes.onnx")
    with pytest.raises(edgeinfer.NotFound, match="missing.onnx"):
        edgeinfer.Classifier(str(tmp_path / "missing.onnx"))
    with pytest.raises(edgeinfer.InvalidArgument, match="unknown option 'topk'"):
        edgeinfer.Classifier(model, topk=3)
    with pytest.raises(edgeinfer.InvalidArgument, match="fp32"):
        edgeinfer.Classifier(model, precision="fp64")
    clf = edgeinfer.Classifier(model, threads=1)
    with pytest.raises(edgeinfer.InvalidArgument, match="dtype uint8, got float32"):
        clf.classify(np.zeros((32, 32, 3), np.float32))
    with pytest.raises(edgeinfer.InvalidArgument, match="got shape 32x32x5"):
        clf.classify(np.zeros((32, 32, 5), np.uint8))
    with pytest.raises(edgeinfer.InvalidArgument, match="expected a numpy array"):
        clf.classify([[1, 2, 3]])
    with pytest.raises(edgeinfer.NotFound):
        edgeinfer.TextRecognizer(str(tmp_path / "crnn.onnx"))


@pytest.fixture(scope="module")
def crnn(model_dir):
    """tests/tools/make_head_models.py's CRNN with PyTorch's greedy CTC decode of its image."""
    out = os.path.join(model_dir, "heads")
    p = subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "tests", "tools", "make_head_models.py"), out,
                        "crnn"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return out


def test_text_recognizer_matches_pytorch(crnn):
    with open(os.path.join(crnn, "crnn.ref.json")) as f:
        ref = json.load(f)
    rec = edgeinfer.TextRecognizer(os.path.join(crnn, "crnn.onnx"), threads=1)
    (frame,) = list(edgeinfer.open_source(os.path.join(crnn, "crnn.png")))
    r = rec.recognize(frame.image)
    assert r.text == ref["text"]
    assert [c.index for c in r.chars] == ref["classes"]
    assert [c.confidence for c in r.chars] == pytest.approx(ref["confidences"], abs=1e-4)
    assert r.confidence == pytest.approx(sum(ref["confidences"]) / len(ref["confidences"]), abs=1e-4)
    assert "".join(c.text for c in r.chars) == r.text
