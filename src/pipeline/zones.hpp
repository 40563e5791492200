// Polygon zones (which objects are inside, by the bottom-centre of their box) and line crossing
// counters (directional, per track, with hysteresis so jitter on the line is not counted).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "pipeline/config.hpp"
#include "pipeline/metadata.hpp"

namespace edgeinfer::pipeline {

// The point of a box that zones and lines follow: the middle of its bottom edge.
inline Point anchor_point(const Box& b) { return {(b.x1 + b.x2) / 2, b.y2}; }
bool point_in_polygon(Point p, const std::vector<Point>& polygon);

// Sets each object's `zone` attribute (names of the zones it is in, comma-separated; "" for none)
// and the frame keys zone_count.<name>.
class ZoneMap {
  public:
    explicit ZoneMap(std::vector<ZoneConfig> zones) : zones_(std::move(zones)) {}
    void annotate(FrameMeta& frame) const;

  private:
    std::vector<ZoneConfig> zones_;
};

// Counts tracks crossing lines. On the frame of a crossing the object gets line_crossed (the line's
// name) and crossing_direction ("in" or "out"); other tracked objects get "" for both. The frame gets
// line.<name>.in / line.<name>.out, the running counts for its source.
class LineCounter {
  public:
    explicit LineCounter(std::vector<LineConfig> lines) : lines_(std::move(lines)) {}
    void update(FrameMeta& frame);
    int64_t count(const std::string& source_id, const std::string& line, bool in) const;

  private:
    struct TrackState {
        int side = 0;        // last side beyond the hysteresis band: -1 left, +1 right, 0 unknown
        Point last_on_side;  // anchor when it was last on that side
        bool counted_in = false, counted_out = false;
        uint64_t last_frame = 0;
    };
    std::vector<LineConfig> lines_;
    std::map<std::tuple<std::string, int64_t, size_t>, TrackState> tracks_;          // (source, track, line)
    std::map<std::tuple<std::string, size_t>, std::pair<int64_t, int64_t>> counts_;  // (source, line) -> in, out
};

}  // namespace edgeinfer::pipeline
