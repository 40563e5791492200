// Point-in-polygon zones and directional line crossing per track.
#include "pipeline/zones.hpp"

#include <algorithm>
#include <cmath>

namespace edgeinfer::pipeline {
namespace {

bool applies(const std::vector<std::string>& sources, const std::string& id) {
    return sources.empty() || std::find(sources.begin(), sources.end(), id) != sources.end();
}

float cross(Point a, Point b, Point p) { return (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x); }

// Whether the motion p -> q (whose ends lie on opposite sides of the line through a, b) meets the
// segment a-b itself.
bool crosses_segment(Point a, Point b, Point p, Point q) {
    const float dp = cross(a, b, p), dq = cross(a, b, q);
    if (dp == dq) return false;
    const float t = dp / (dp - dq);  // where along p -> q the line is met
    const Point m{p.x + t * (q.x - p.x), p.y + t * (q.y - p.y)};
    const float len2 = (b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y);
    const float s = ((m.x - a.x) * (b.x - a.x) + (m.y - a.y) * (b.y - a.y)) / len2;
    return s >= 0.0f && s <= 1.0f;
}

}  // namespace

bool point_in_polygon(Point p, const std::vector<Point>& poly) {
    bool inside = false;
    for (size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
        const Point& a = poly[i];
        const Point& b = poly[j];
        if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) inside = !inside;
    }
    return inside;
}

void ZoneMap::annotate(FrameMeta& frame) const {
    for (const auto& z : zones_) {
        if (!applies(z.sources, frame.source_id)) continue;
        frame.attributes["zone_count." + z.name] = 0.0;
    }
    for (auto* list : {&frame.objects, &frame.ended_objects}) {
        for (auto& o : *list) {
            std::string names;
            for (const auto& z : zones_) {
                if (!applies(z.sources, frame.source_id) || !point_in_polygon(anchor_point(o.box), z.polygon)) continue;
                names += (names.empty() ? "" : ",") + z.name;
                if (list == &frame.objects) std::get<double>(frame.attributes["zone_count." + z.name]) += 1.0;
            }
            o.attributes["zone"] = names;
        }
    }
}

void LineCounter::update(FrameMeta& frame) {
    for (auto& o : frame.objects) {
        if (o.track_id < 0) continue;
        o.attributes["line_crossed"] = std::string();
        o.attributes["crossing_direction"] = std::string();
        const Point p = anchor_point(o.box);
        for (size_t li = 0; li < lines_.size(); ++li) {
            const LineConfig& l = lines_[li];
            if (!applies(l.sources, frame.source_id)) continue;
            TrackState& st = tracks_[{frame.source_id, o.track_id, li}];
            st.last_frame = frame.frame_number;
            const float len = std::hypot(l.b.x - l.a.x, l.b.y - l.a.y);
            const float dist = cross(l.a, l.b, p) / len;
            if (std::fabs(dist) <= l.hysteresis) continue;  // on the line: side unchanged
            const int side = dist > 0 ? 1 : -1;
            if (st.side != 0 && side != st.side && crosses_segment(l.a, l.b, st.last_on_side, p)) {
                const bool in = side > 0;  // from the left of a->b to its right
                bool& counted = in ? st.counted_in : st.counted_out;
                if (!l.count_each_track_once || !counted) {
                    counted = true;
                    auto& c = counts_[{frame.source_id, li}];
                    (in ? c.first : c.second)++;
                    o.attributes["line_crossed"] = l.name;
                    o.attributes["crossing_direction"] = std::string(in ? "in" : "out");
                }
            }
            st.side = side;
            st.last_on_side = p;
        }
    }
    for (size_t li = 0; li < lines_.size(); ++li) {
        if (!applies(lines_[li].sources, frame.source_id)) continue;
        const auto it = counts_.find({frame.source_id, li});
        const auto c = it == counts_.end() ? std::pair<int64_t, int64_t>{0, 0} : it->second;
        frame.attributes["line." + lines_[li].name + ".in"] = double(c.first);
        frame.attributes["line." + lines_[li].name + ".out"] = double(c.second);
    }
    // Forget tracks that have ended.
    for (const auto& e : frame.ended_objects)
        for (size_t li = 0; li < lines_.size(); ++li) tracks_.erase({frame.source_id, e.track_id, li});
}

int64_t LineCounter::count(const std::string& source_id, const std::string& line, bool in) const {
    for (size_t li = 0; li < lines_.size(); ++li) {
        if (lines_[li].name != line) continue;
        const auto it = counts_.find({source_id, li});
        if (it == counts_.end()) return 0;
        return in ? it->second.first : it->second.second;
    }
    return 0;
}

}  // namespace edgeinfer::pipeline
