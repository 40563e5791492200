// cpp_detector: detects objects with edgeinfer::Detector (include/edgeinfer/vision.hpp) in an image or in
// every image of a folder and prints one line per image, then one line per box.
//
// Usage: cpp_detector MODEL.onnx IMAGE_OR_FOLDER [--threshold T] [--format yolov8|...]
//   photo.jpg: 2 detections
//     class 0 (person) 0.913 [12.0 40.5 200.2 380.0]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "edgeinfer/frame.hpp"
#include "edgeinfer/vision.hpp"

namespace fs = std::filesystem;

namespace {

bool is_image(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

std::vector<fs::path> list_images(const fs::path& where) {
    std::vector<fs::path> files;
    if (!fs::is_directory(where)) return {where};
    for (const auto& entry : fs::directory_iterator(where))
        if (entry.is_regular_file() && is_image(entry.path())) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s MODEL.onnx IMAGE_OR_FOLDER [--threshold T] [--format NAME]\n", argv[0]);
        return 2;
    }
    edgeinfer::DetectorOptions options;
    options.session.num_threads = 1;
    for (int i = 3; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "--threshold") {
            options.confidence_threshold = std::strtof(argv[i + 1], nullptr);
        } else if (flag == "--format") {
            options.format = argv[i + 1];
        } else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }

    auto detector = edgeinfer::Detector::create(argv[1], options);
    if (!detector.is_ok()) {
        std::fprintf(stderr, "%s\n", detector.status().to_string().c_str());
        return 1;
    }
    std::vector<fs::path> files = list_images(argv[2]);
    if (files.empty()) {
        std::fprintf(stderr, "no images in %s\n", argv[2]);
        return 1;
    }
    int failed = 0;
    for (const fs::path& file : files) {
        auto image = edgeinfer::Image::read(file.string());
        if (!image.is_ok()) {
            std::fprintf(stderr, "%s\n", image.status().to_string().c_str());
            ++failed;
            continue;
        }
        auto found = (*detector)->detect(image->view());
        if (!found.is_ok()) {
            std::fprintf(stderr, "%s: %s\n", file.string().c_str(), found.status().to_string().c_str());
            ++failed;
            continue;
        }
        std::printf("%s: %zu detections\n", file.filename().string().c_str(), found->size());
        for (const edgeinfer::Detection& d : *found) {
            std::string name = "class " + std::to_string(d.class_id) + (d.label.empty() ? "" : " (" + d.label + ")");
            std::printf("  %s %.3f [%.1f %.1f %.1f %.1f]\n", name.c_str(), d.score, d.box.x1, d.box.y1, d.box.x2,
                        d.box.y2);
        }
    }
    return failed ? 1 : 0;
}
