// edgeinfer::TextReader: optical character recognition with a PaddleOCR-style model folder: DB text
// detection (probability map -> boxes), each box cropped and rectified, an optional 0/180 degree direction
// classifier, and a CTC text recognizer decoded with the folder's character dictionary. Results are
// typed text lines with their quadrilaterals and scores, in the image's pixels. docs/ocr.md.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgeinfer/frame.hpp"
#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/vision.hpp"

namespace edgeinfer {

// The model files of a reader. In TextReaderOptions a relative path is taken inside the model folder and
// "" means "found by name": the detector is the one *det*.onnx, the recognizer the one *rec*.onnx, the
// direction classifier the one *cls*.onnx (optional) and the dictionary the one *.txt (one character a
// line, without the blank; a space class is appended when the recognizer has one class more).
struct OcrModelFiles {
    std::string detector{};
    std::string recognizer{};
    std::string classifier{};  // "" : none (TextReader::files() reports what is used)
    std::string dictionary{};
};

struct TextReaderOptions {
    SessionOptions session{};  // for all three models
    OcrModelFiles files{};
    bool use_classifier = true;  // run the direction classifier when the folder has one
    // Detection (PaddleOCR's DB defaults).
    int max_side = 960;                 // the image is scaled down until its longer side is at most this
    float binary_threshold = 0.3f;      // text probability that makes a pixel of the binary map
    float box_threshold = 0.6f;         // a box's mean probability must reach this
    float unclip_ratio = 1.5f;          // each box grows by area * ratio / perimeter on every side
    int min_size = 3;                   // boxes with a side shorter than this (map pixels) are dropped
    int max_candidates = 1000;          // contours looked at, at most
    bool dilate = false;                // dilate the binary map (2x2) before finding contours
    float classifier_threshold = 0.9f;  // a crop is turned 180 degrees when the classifier is this sure
    float text_threshold = 0.5f;        // lines whose recognition score is below this are dropped
    int recognizer_batch = 6;           // crops per recognizer run
};

struct Corner {
    float x = 0, y = 0;
};

struct TextLine {
    std::string text;              // UTF-8
    double score = 0.0;            // recognition: mean of the characters' confidences (0..1)
    std::vector<CharScore> chars;  // each character, its confidence and time step
    std::array<Corner, 4> quad{};  // the text's corners: top-left, top-right, bottom-right, bottom-left
    Box box;                       // the quadrilateral's bounds
    double box_score = 0.0;        // detection: mean text probability inside the box (0..1)
    int angle = 0;                 // 180 when the direction classifier turned the crop, else 0
    double angle_score = 0.0;      // the classifier's confidence in `angle` (0 when it did not run)
};

struct OcrResult {
    int width = 0, height = 0;    // the image's size
    std::vector<TextLine> lines;  // top to bottom, then left to right
};

class TextReader {
  public:
    // `model_dir`: a folder holding the models and the dictionary (scripts/fetch-models puts PP-OCRv4 in
    // models/ocr/ppocr-v4). Errors name the folder and the file that is missing, ambiguous or unusable.
    static Result<std::unique_ptr<TextReader>> create(const std::string& model_dir,
                                                      const TextReaderOptions& options = {});
    ~TextReader();
    TextReader(const TextReader&) = delete;
    TextReader& operator=(const TextReader&) = delete;

    Result<OcrResult> read(const ImageView& image);
    // The files in use (full paths; classifier "" when none runs).
    const OcrModelFiles& files() const;
    // Number of dictionary entries the recognizer decodes with (blank excluded).
    size_t dictionary_size() const;

    class Impl;

  private:
    explicit TextReader(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// A BGR8 copy of `image` with each line's quadrilateral and "N: text score" (ASCII; other characters as
// '?') drawn, labels kept inside the image.
Result<Image> draw_text_lines(const ImageView& image, const OcrResult& result);

}  // namespace edgeinfer
