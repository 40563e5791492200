import edgeinfer
sess = edgeinfer.InferenceSession("models/shapes.onnx")          # as onnxruntime.InferenceSession
clf = edgeinfer.Classifier("models/shapes.onnx")                  # preprocessing from models/shapes.json
for frame in edgeinfer.open_source("models/samples", limit=3):    # frames as numpy BGR arrays
    print(frame.source_id, clf.classify(frame.image).label, sess.get_inputs()[0].shape)
