"""examples/python: the two EDGEMATRIX-style apps on seeded exported models (r3d_18, squeezenet1_1) and the
demo video of tools/train_demo_detector.py, and the README's Python quick start."""
import json
import os
import re
import subprocess
import sys

import pytest

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(SOURCE, "examples", "python")
PYTHON = "/usr/bin/python3"

R3D = '''
import json, sys, torch, torchvision
out = sys.argv[1]
torch.manual_seed(0)
model = torchvision.models.video.r3d_18(weights=None).eval()
torch.onnx.export(model, torch.zeros(1, 3, 16, 112, 112), out + ".tmp", opset_version=13,
                  input_names=["input"], output_names=["logits"])
import os
os.replace(out + ".tmp", out)
sidecar = {"task": "video", "input": "input", "input_shape": [1, 3, 16, 112, 112], "layout": "NCTHW",
           "frames": 16, "color_order": "RGB", "scale": 1.0 / 255.0, "resize": "stretch",
           "mean": [0.43216, 0.394666, 0.37645], "std": [0.22803, 0.22145, 0.216989],
           "labels": ["action_%d" % i for i in range(400)]}
json.dump(sidecar, open(out[:-5] + ".json", "w"))
'''


@pytest.fixture(scope="module")
def video(model_dir):
    path = os.path.join(model_dir, "demo", "shapes.avi")
    if not os.path.exists(path):
        p = subprocess.run([PYTHON, os.path.join(SOURCE, "tools", "train_demo_detector.py"), "--video", path],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
    return path


@pytest.fixture(scope="module")
def r3d18(model_dir):
    path = os.path.join(model_dir, "r3d_18.onnx")
    if not os.path.exists(path):
        p = subprocess.run([PYTHON, "-c", R3D, path], capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr
    return path


def run_example(*args):
    p = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_clip_classifier_records_confident_clips(r3d18, video, tmp_path):
    # Seeded random weights: the probabilities are near 1/400; threshold 0 makes every classified clip fire.
    out = run_example(os.path.join(EXAMPLES, "clip_record.py"), r3d18, video, str(tmp_path), "--threshold", "0",
                      "--stride", "16", "--max-frames", "32", "--threads", "2")
    assert "32 frames" in out, out
    meta = jsonl(tmp_path / "metadata.jsonl")
    assert len(meta) == 32
    classified = [m for m in meta if "clip_class" in json.dumps(m)]
    assert classified, meta[-1]
    events = jsonl(tmp_path / "events.jsonl")
    assert events and all(e["rule_name"] == "confident_action" for e in events)
    # The first clip is complete at frame 15 (window 16): no event before it, one per frame from then on
    # (threshold 0, the clip keys stay on the frames until the next classification).
    frames = sorted(e["frame_number"] for e in events)
    assert frames[0] == 15 and frames == list(range(15, 15 + len(frames)))
    printed = [ln for ln in out.splitlines() if ln.startswith("confident_action:")]
    assert len(printed) == len(events)
    clips = [e["clip"] for e in events if e.get("clip")]
    assert clips and all(os.path.getsize(c) > 0 for c in set(clips) if os.path.exists(c))
    assert any(os.path.exists(c) for c in clips)
    assert os.listdir(tmp_path / "clips")
    assert os.path.getsize(tmp_path / "annotated.avi") > 0


def test_tracked_objects_are_classified_once_each(model_dir, video, tmp_path):
    classifier = os.path.join(model_dir, "squeezenet1_1.onnx")
    detector = os.path.join(SOURCE, "models", "shapes_detector.onnx")
    out = run_example(os.path.join(EXAMPLES, "track_classify.py"), detector, classifier, video, str(tmp_path),
                      "--max-frames", "40", "--threads", "1")
    assert "40 frames" in out, out
    meta = jsonl(tmp_path / "metadata.jsonl")
    assert len(meta) == 40
    classified_tracks = set()
    for m in meta:
        for o in m["objects"]:
            if "crop_predicted_class" in o:
                assert o.get("track_id", -1) >= 0 and 0.0 < o["crop_probability"] <= 1.0
                assert re.fullmatch(r"class_\d+", o["crop_predicted_class"])
                classified_tracks.add(o["track_id"])
    assert classified_tracks, "no tracked object was classified"
    events = jsonl(tmp_path / "events.jsonl")
    event_tracks = [e["object"]["track_id"] for e in events]
    assert sorted(event_tracks) == sorted(classified_tracks)  # one event per track: its first classification
    assert len([ln for ln in out.splitlines() if ln.startswith("object_classified:")]) == len(events)
    assert os.path.getsize(tmp_path / "annotated.avi") > 0


def readme_quickstart():
    """The README's Python quick start (the ```python block after a heading naming Python), else the
    example it was taken from."""
    with open(os.path.join(SOURCE, "README.md")) as f:
        text = f.read()
    with open(os.path.join(EXAMPLES, "quickstart.py")) as f:
        example = f.read()
    for section in re.split(r"^(?=#+ )", text, flags=re.M):
        heading = section.split("\n", 1)[0]
        m = re.search(r"```python\n(.*?)```", section, re.S)
        if "Python" in heading and m:
            assert m.group(1).strip() == example.strip(), "README's quick start differs from quickstart.py"
            return m.group(1)
    return example


def test_readme_quick_start():
    code = readme_quickstart()
    assert len(code.strip().splitlines()) == 5
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=SOURCE, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert len(lines) == 3
    for line in lines:
        path, label, shape = line.split(" ", 2)
        assert os.path.basename(path).startswith(label + "_"), line
        assert shape == "['batch', 3, 32, 32]" or shape.startswith("["), line
