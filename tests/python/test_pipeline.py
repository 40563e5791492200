"""edgeinfer.Pipeline from Python: callbacks for events and frames, stop(), config errors with their JSON
paths, and Python custom elements whose keys rules see; an element that raises is logged with its
traceback and the pipeline goes on; the CLI sends python configs to `python3 -m edgeinfer pipeline`."""
import json
import re
import subprocess
import sys

import pytest

import edgeinfer

ELEMENTS = '''
import numpy as np

class Brightness:
    """Frame key `brightness` (the mean pixel) and a record of what it saw."""
    seen = []

    def __init__(self, config):
        self.scale = config.get("scale", 1.0)

    def process(self, frame, meta):
        assert frame.dtype == np.uint8 and frame.shape[2] == 3 and not frame.flags.writeable
        value = float(frame.mean()) * self.scale
        Brightness.seen.append((meta["frame_number"], value))
        return {"brightness": value, "parity": "even" if meta["frame_number"] % 2 == 0 else "odd"}


class Flaky:
    """Raises on odd frames."""

    def process(self, frame, meta):
        if meta["frame_number"] % 2:
            raise ZeroDivisionError("odd frame " + str(meta["frame_number"]))
        return {"flaky_ok": 1}
'''


def config(tmp_path, elements, rules=()):
    (tmp_path / "my_elements.py").write_text(ELEMENTS)
    doc = {"sources": [{"id": "cam", "uri": "pattern:64x48"}], "elements": elements,
           "action_rules": list(rules), "spool_directory": str(tmp_path / "spool")}
    return doc


BRIGHTNESS = {"type": "python", "name": "bright", "module": "my_elements", "class": "Brightness",
              "config": {"scale": 2.0},
              "produces": {"brightness": {"scope": "frame", "type": "number"},
                           "parity": {"scope": "frame", "type": "string"}}}
EVEN_RULE = {"rule_name": "even", "and": [{"key": "parity", "operator": "==", "value": "even"}],
             "action": {"type": "publish"}}


def test_python_element_keys_reach_rules_and_callbacks(tmp_path):
    doc = config(tmp_path, [BRIGHTNESS], [EVEN_RULE])
    frames, events = [], []
    p = edgeinfer.Pipeline.from_dict(doc, str(tmp_path), max_frames=6, on_frame=frames.append)
    p.on_event(events.append)
    summary = p.run()
    assert summary.frames == 6 and not summary.stopped
    import my_elements  # the module the pipeline imported (from the config's folder)

    seen = dict(my_elements.Brightness.seen)
    assert [m.frame_number for m in frames] == list(range(6))
    for m in frames:
        assert m.source_id == "cam" and (m.width, m.height) == (64, 48)
        assert m.fields["brightness"] == pytest.approx(seen[m.frame_number])  # scale 2 from the config
        assert m.fields["parity"] == ("even" if m.frame_number % 2 == 0 else "odd")
    assert [e.frame_number for e in events] == [0, 2, 4]
    assert all(e.rule_name == "even" and e.action == "publish" and e.frame_fields["parity"] == "even" for e in events)
    assert summary.events == 3


def test_empycustom_is_the_python_element(tmp_path):
    """EDGEMATRIX Stream's "empycustom" element name runs as a python element (docs/pipeline.md)."""
    doc = config(tmp_path, [dict(BRIGHTNESS, type="empycustom")], [EVEN_RULE])
    frames = []
    summary = edgeinfer.Pipeline.from_dict(doc, str(tmp_path), max_frames=4, on_frame=frames.append).run()
    assert summary.frames == 4 and summary.events == 2
    assert [m.fields["parity"] for m in frames] == ["even", "odd", "even", "odd"]


def test_raising_element_is_logged_and_the_pipeline_goes_on(tmp_path):
    flaky = {"type": "python", "module": "my_elements", "class": "Flaky",
             "produces": {"flaky_ok": {"scope": "frame", "type": "number"}}}
    doc = config(tmp_path, [flaky, BRIGHTNESS])
    cfg = tmp_path / "flaky.json"
    cfg.write_text(json.dumps(doc))
    p = subprocess.run([sys.executable, "-m", "edgeinfer", "pipeline", str(cfg), "--limit", "6"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Traceback (most recent call last)" in p.stderr
    assert "ZeroDivisionError: odd frame 1" in p.stderr and "ZeroDivisionError: odd frame 5" in p.stderr
    assert 'raise ZeroDivisionError("odd frame "' in p.stderr  # the user's line, from the traceback
    # In-process: every frame still passes, the good frames carry the element's key.
    frames = []
    summary = edgeinfer.Pipeline.from_file(cfg, max_frames=6, on_frame=frames.append).run()
    assert summary.frames == 6
    assert [("flaky_ok" in m.fields) for m in frames] == [True, False] * 3
    assert all("brightness" in m.fields for m in frames)  # the next element saw every frame


def test_stop_from_a_callback(tmp_path):
    doc = config(tmp_path, [BRIGHTNESS])
    p = edgeinfer.Pipeline.from_dict(doc, str(tmp_path))  # the pattern source never ends by itself
    seen = []

    @p.on_frame
    def count(meta):
        seen.append(meta.frame_number)
        if len(seen) == 3:
            p.stop()

    summary = p.run()
    assert summary.stopped and summary.frames >= 3


def test_config_errors(tmp_path):
    doc = config(tmp_path, [dict(BRIGHTNESS, modul="x")])
    with pytest.raises(edgeinfer.InvalidArgument, match=r"/elements/0/modul: unknown key"):
        edgeinfer.Pipeline.from_dict(doc, str(tmp_path))
    doc = config(tmp_path, [dict(BRIGHTNESS, module="no_such_module_xyz")])
    with pytest.raises(edgeinfer.InvalidArgument, match="cannot import module 'no_such_module_xyz'"):
        edgeinfer.Pipeline.from_dict(doc, str(tmp_path))
    doc = config(tmp_path, [BRIGHTNESS], [dict(EVEN_RULE, **{"and": [{"key": "parity", "operator": "=>",
                                                                      "value": "even"}]})])
    cfg = tmp_path / "bad.json"
    cfg.write_text(json.dumps(doc))
    with pytest.raises(edgeinfer.InvalidArgument, match=r"bad.json: /action_rules/0/and/0/operator"):
        edgeinfer.Pipeline.from_file(cfg)
    with pytest.raises(edgeinfer.NotFound, match="missing.json"):
        edgeinfer.Pipeline.from_file(tmp_path / "missing.json")


def test_cli_sends_python_configs_to_python(tmp_path, edgeinfer_binary):
    cfg = tmp_path / "py.json"
    cfg.write_text(json.dumps(config(tmp_path, [BRIGHTNESS])))
    p = subprocess.run([edgeinfer_binary, "pipeline", str(cfg)], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "/elements/0/type: a python element runs only inside Python" in p.stderr, p.stderr
    assert "python3 -m edgeinfer pipeline CONFIG" in p.stderr


def test_python_m_edgeinfer_pipeline_stops_on_sigint(tmp_path):
    """`python3 -m edgeinfer pipeline` on an endless source: SIGINT stops it cleanly with its summary."""
    import signal
    import time

    cfg = tmp_path / "endless.json"
    cfg.write_text(json.dumps(config(tmp_path, [BRIGHTNESS])))
    p = subprocess.Popen([sys.executable, "-m", "edgeinfer", "pipeline", str(cfg)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, out + err  # as `edgeinfer pipeline`
    assert "Traceback" not in err, err
    assert re.match(r"pipeline: \d+ frames, 0 events, 0 live frames dropped, stopped by SIGINT", out), out


def test_python_m_edgeinfer_pipeline_exit_codes(tmp_path):
    doc = config(tmp_path, [BRIGHTNESS])
    doc["sources"] = [{"id": "gone", "uri": str(tmp_path / "no_such_video.mp4")}]
    cfg = tmp_path / "nosource.json"
    cfg.write_text(json.dumps(doc))
    p = subprocess.run([sys.executable, "-m", "edgeinfer", "pipeline", str(cfg)], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode in (1, 2), p.stdout + p.stderr  # a missing file: rejected with the config, or no frames
    assert "no_such_video.mp4" in p.stdout + p.stderr
    doc["action_rules"] = [{"rule_name": "x", "and": [{"key": "nope", "operator": "==", "value": 1}],
                            "action": {"type": "publish"}}]
    cfg.write_text(json.dumps(doc))
    p = subprocess.run([sys.executable, "-m", "edgeinfer", "pipeline", str(cfg)], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 1 and p.stderr.startswith("edgeinfer pipeline: " + str(cfg) + ": /action_rules/0"), p.stderr


def test_a_raising_callback_is_logged_and_the_pipeline_goes_on(tmp_path, caplog):
    seen = []

    def bad(meta):
        seen.append(meta.frame_number)
        raise RuntimeError("callback bug " + str(meta.frame_number))

    summary = edgeinfer.Pipeline.from_dict(config(tmp_path, [BRIGHTNESS]), str(tmp_path), max_frames=3,
                                           on_frame=bad).run()
    assert summary.frames == 3 and seen == [0, 1, 2]
    logged = [r for r in caplog.records if r.name == "edgeinfer" and "callback" in r.getMessage()]
    assert len(logged) == 3 and "RuntimeError: callback bug 2" in logged[-1].getMessage()
