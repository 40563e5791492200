// Pipeline runtime: source threads, one thread per element, the output stage (zones, lines, rules,
// recording, events, metadata and video sinks), bounded queues between them, metrics.
#include "pipeline/runtime.hpp"

#include <fstream>
#include <map>
#include <opencv2/videoio.hpp>
#include <set>
#include <thread>

#include "base/logging.hpp"
#include "base/status.hpp"
#include "pipeline/bounded_queue.hpp"
#include "pipeline/event_sinks.hpp"
#include "pipeline/line_file.hpp"
#include "pipeline/recorder.hpp"
#include "pipeline/rules.hpp"
#include "pipeline/zones.hpp"

namespace edgeinfer::pipeline {
namespace {

namespace fs = std::filesystem;
using FramePtr = std::unique_ptr<PipelineFrame>;
using Queue = BoundedQueue<FramePtr>;

bool applies(const std::vector<std::string>& sources, const std::string& id) {
    return sources.empty() || std::find(sources.begin(), sources.end(), id) != sources.end();
}

uint64_t micros_since(std::chrono::steady_clock::time_point t0) {
    return uint64_t(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
}

struct VideoOut {
    std::unique_ptr<cv::VideoWriter> writer;
    cv::Size size;
    bool failed = false;
};

}  // namespace

struct Pipeline::Impl {
    PipelineConfig config;
    PipelineOptions options;
    std::vector<std::unique_ptr<Element>> elements;
    std::vector<std::unique_ptr<Queue>> queues;  // queues[i] feeds element i; the last feeds the output stage
    // Output stage.
    std::unique_ptr<ZoneMap> zones;
    std::unique_ptr<LineCounter> lines;
    std::unique_ptr<RuleEngine> rules;
    std::map<std::pair<size_t, std::string>, std::unique_ptr<ClipRecorder>> recorders;  // (rule, source)
    std::map<std::string, std::unique_ptr<EventDelivery>> deliveries;                   // sink id
    std::map<std::string, std::unique_ptr<LineFile>> metadata;                          // sink id
    std::map<std::pair<std::string, std::string>, VideoOut> videos;                     // (sink id, source)
    std::map<std::string, double> source_fps;
    // Record events wait for their clip: published when it is complete (or lost), with its path.
    struct PendingEvent {
        Firing firing;
        FrameMeta meta;
    };
    std::map<std::pair<size_t, std::string>, std::vector<PendingEvent>> clip_events;  // (rule, source)
    std::unique_ptr<MetricsServer> metrics_server;
    std::mutex errors_mu;
    std::vector<std::string> source_errors;
    std::vector<SourceError> failed_sources;
    std::atomic<int> active_sources{0};
    Status output_error;

    Status output(PipelineFrame& f, Metrics& m);
    void end_of_source(PipelineFrame& marker, Metrics& m);
    void publish(const Firing& firing, const FrameMeta& meta, const std::string& clip, const std::string& clip_error,
                 Metrics& m);
    void write_video(const SinkConfig& s, PipelineFrame& f);
    void clips_closed(const std::pair<size_t, std::string>& key, size_t before, Metrics& m);
    void run_element(size_t i, Metrics& m);
};

Pipeline::Pipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)), metrics_(std::make_unique<Metrics>()) {}

Pipeline::~Pipeline() {
    stopping_ = true;
    impl_->metrics_server.reset();  // it renders metrics_, which goes first
    for (auto& [k, r] : impl_->recorders) r->finish();
}

int Pipeline::metrics_port() const { return impl_->metrics_server ? impl_->metrics_server->port() : 0; }

Result<std::unique_ptr<Pipeline>> Pipeline::create(PipelineConfig config, PipelineOptions options) {
    auto impl = std::make_unique<Impl>();
    impl->config = std::move(config);
    impl->options = std::move(options);
    const PipelineConfig& c = impl->config;
    if (!impl->options.open_source)
        impl->options.open_source = [](const SourceConfig& s) {
            io::SourceOptions o;
            o.loop = s.loop;
            return io::open_source(s.uri, o);
        };
    for (const auto& e : c.elements) {
        std::unique_ptr<Element> element;
        if (impl->options.factory) {
            auto made = impl->options.factory(e, c);
            if (!made.is_ok()) return made.status();
            element = std::move(made.value());
        }
        if (!element) {
            auto made = make_builtin_element(e, c);
            if (!made.is_ok()) return made.status();
            element = std::move(made.value());
        }
        impl->elements.push_back(std::move(element));
    }
    for (size_t i = 0; i <= impl->elements.size(); ++i) {
        size_t capacity = 4;
        if (i == 0) {
            capacity = 0;
            for (const auto& s : c.sources) capacity += size_t(s.queue_size);
        }
        impl->queues.push_back(std::make_unique<Queue>(capacity));
    }
    for (const auto& s : c.sources) impl->source_fps[s.id] = 0.0;  // source threads only assign their own entry
    if (!c.zones.empty()) impl->zones = std::make_unique<ZoneMap>(c.zones);
    if (!c.lines.empty()) impl->lines = std::make_unique<LineCounter>(c.lines);
    impl->rules = std::make_unique<RuleEngine>(c.action_rules);
    std::set<fs::path> record_dirs;
    uint64_t incomplete_clips = 0;
    for (size_t r = 0; r < c.action_rules.size(); ++r) {
        const RuleConfig& rule = c.action_rules[r];
        if (rule.action.type != ActionType::kRecord) continue;
        // A folder that cannot take clips is an error now, not lost clips later.
        if (record_dirs.insert(rule.action.directory).second) {
            if (Status w = check_writable_directory(rule.action.directory); !w.is_ok())
                return io_error("rule " + rule.rule_name + " (" + rule.path +
                                "/action/directory): recordings: " + w.message());
            for (const fs::path& f : remove_incomplete_clips(rule.action.directory)) {
                base::log_warning("recordings: removed " + f.string() +
                                  ", an incomplete clip of an earlier run (killed while recording)");
                ++incomplete_clips;
            }
        }
        for (const auto& s : c.sources) {
            if (!applies(rule.sources, s.id)) continue;
            RecorderOptions o;
            o.pre_seconds = rule.action.pre_seconds;
            o.duration_in_seconds = rule.action.duration_in_seconds;
            o.max_duration_in_seconds = rule.action.max_duration_in_seconds;
            o.directory = rule.action.directory;
            o.fps = rule.action.fps;
            o.min_free_bytes = uint64_t(rule.action.min_free_mb * 1048576.0);
            impl->recorders[{r, s.id}] = std::make_unique<ClipRecorder>(o, s.id);
        }
    }
    for (const auto& s : c.sinks) {
        if (s.type == SinkType::kDisplay)
            return unsupported("sink " + s.id + ": display needs a GUI, and this build has none (leave it out)");
        if (s.type == SinkType::kMetadata) {
            if (Status w = check_writable_directory(s.path.parent_path()); !w.is_ok())
                return io_error("sink " + s.id + ": cannot write " + s.path.string() + ": " + w.message());
            LineFileOptions o;
            o.truncate = true;
            auto out = LineFile::open(s.path, o);
            if (!out.is_ok()) return io_error("sink " + s.id + ": cannot write " + s.path.string());
            impl->metadata[s.id] = std::move(out.value());
        }
        if (s.type == SinkType::kVideo) {
            std::error_code ec;
            if (fs::is_directory(s.path, ec))
                return io_error("sink " + s.id + ": cannot write video " + s.path.string() + ": it is a folder");
            if (Status w = check_writable_directory(s.path.parent_path()); !w.is_ok())
                return io_error("sink " + s.id + ": cannot write video " + s.path.string() + ": " + w.message());
        }
        if (is_event_sink(s.type)) {
            EDGEINFER_ASSIGN_OR_RETURN(auto sink, make_event_sink(s));
            auto d = EventDelivery::start(s, std::move(sink), c.spool_directory);
            if (!d.is_ok()) return d.status();
            impl->deliveries[s.id] = std::move(d.value());
        }
    }
    std::unique_ptr<Pipeline> p(new Pipeline(std::move(impl)));
    Metrics& m = *p->metrics_;
    for (size_t i = 0; i < p->impl_->elements.size(); ++i) {
        auto em = std::make_unique<ElementMetrics>(p->impl_->config.elements[i].name,
                                                   std::max<size_t>(1, p->impl_->elements[i]->max_batch()));
        m.elements.push_back(std::move(em));
    }
    m.elements.push_back(std::make_unique<ElementMetrics>("output"));
    m.incomplete_clips_removed = incomplete_clips;
    for (size_t i = 0; i < m.elements.size(); ++i) {
        ElementMetrics& em = *m.elements[i];
        em.queue_capacity = p->impl_->queues[i]->capacity();
        p->impl_->queues[i]->observe(&em.queue_depth, &em.queue_peak);
    }
    for (const auto& s : p->impl_->config.sources) {
        auto sm = std::make_unique<SourceMetrics>();
        sm->id = s.id;
        sm->live = s.live;
        m.sources.push_back(std::move(sm));
    }
    Impl* raw = p->impl_.get();
    m.sinks = [raw] {
        std::vector<SinkMetrics> all;
        for (const auto& [id, d] : raw->deliveries) {
            const DeliveryStats st = d->stats();
            all.push_back({id, st.delivered, st.failed_attempts, st.pending});
        }
        return all;
    };
    const int port =
        p->impl_->options.metrics_port >= 0 ? p->impl_->options.metrics_port : p->impl_->config.metrics_port;
    if (port > 0) {
        auto server = MetricsServer::start(port, [mp = p->metrics_.get()] { return mp->prometheus(); });
        if (!server.is_ok()) return server.status();
        p->impl_->metrics_server = std::move(server.value());
    }
    return p;
}

void Pipeline::Impl::write_video(const SinkConfig& s, PipelineFrame& f) {
    VideoOut& v = videos[{s.id, f.meta.source_id}];
    if (v.failed) return;
    const cv::Mat& img = f.annotated.empty() ? f.frame.image : f.annotated;
    if (!v.writer) {
        fs::path path = s.path;
        if (config.sources.size() > 1)
            path.replace_filename(path.stem().string() + "_" + f.meta.source_id + path.extension().string());
        const double fps = s.fps > 0 ? s.fps : source_fps[f.meta.source_id] > 0 ? source_fps[f.meta.source_id] : 30.0;
        v.writer = std::make_unique<cv::VideoWriter>();
        v.size = img.size();
        std::error_code ec;
        if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
        bool ok = false;
        try {
            ok = v.writer->open(path.string(), cv::VideoWriter::fourcc('m', 'p', '4', 'v'), fps, v.size);
        } catch (const cv::Exception&) {
        }
        if (!ok) {
            v.failed = true;
            base::log_warning("sink " + s.id + ": cannot write video " + path.string());
            return;
        }
    }
    try {
        v.writer->write(img.size() == v.size ? img : img.clone());
    } catch (const cv::Exception& e) {
        v.failed = true;
        base::log_warning("sink " + s.id + ": " + e.what());
    }
}

Status Pipeline::Impl::output(PipelineFrame& f, Metrics& m) {
    FrameMeta& meta = f.meta;
    if (zones) zones->annotate(meta);
    if (lines) lines->update(meta);
    const cv::Mat& picture = f.annotated.empty() ? f.frame.image : f.annotated;
    for (auto& [key, rec] : recorders) {
        if (key.second != meta.source_id) continue;
        const size_t before = rec->clips().size();
        if (!rec->push(picture, meta.timestamp_us).is_ok()) m.recording_errors++;
        clips_closed(key, before, m);
    }
    for (const Firing& firing : rules->evaluate(meta)) {
        const RuleConfig& rule = *firing.rule;
        std::string clip;
        std::string clip_error;
        if (rule.action.type == ActionType::kRecord) {
            const size_t index = size_t(&rule - rules->rules().data());
            auto it = recorders.find({index, meta.source_id});
            if (it != recorders.end()) {
                const bool was_recording = it->second->recording();
                auto path = it->second->trigger(meta.timestamp_us, rule.rule_name);
                if (path.is_ok()) {
                    if (!was_recording) m.clips++;
                    clip_events[it->first].push_back({firing, meta});  // published with the finished clip
                    continue;
                }
                clip_error = path.status().to_string();
                m.recording_errors++;
                m.clips_lost++;
            }
        }
        publish(firing, meta, clip, clip_error, m);
    }
    for (const auto& s : config.sinks) {
        if (s.type == SinkType::kMetadata) {
            // A whole line or none (a full disk cuts the line back off, never the file mid-line).
            if (Status w = metadata[s.id]->append(to_json(meta).dump()); !w.is_ok())
                return io_error("sink " + s.id + ": " + w.message());
        } else if (s.type == SinkType::kVideo) {
            write_video(s, f);
        }
    }
    return Status::ok();
}

void Pipeline::Impl::publish(const Firing& firing, const FrameMeta& meta, const std::string& clip,
                             const std::string& clip_error, Metrics& m) {
    nlohmann::json event = make_event(firing, meta, clip);
    if (!clip_error.empty()) event["clip_error"] = clip_error;
    m.events++;
    if (options.on_event) options.on_event(firing, meta, clip, clip_error);
    const std::string text = event.dump();
    for (const auto& sink : firing.rule->action.sinks) {
        auto d = deliveries.find(sink);
        if (d == deliveries.end()) continue;
        if (Status s = d->second->publish(text); !s.is_ok()) {
            const uint64_t n = ++m.events_refused;  // all counted (summary), the first few logged
            if (n <= 5)
                base::log_error("sink " + sink + ": " + s.to_string() +
                                (n == 5 ? " (further refused events are only counted)" : ""));
        }
    }
}

// The clips that closed since `before` (clips() index) on recorder `key`: their waiting events go out now,
// with the clip's path when it was saved and clip_error when it was lost or cut short.
void Pipeline::Impl::clips_closed(const std::pair<size_t, std::string>& key, size_t before, Metrics& m) {
    const std::vector<ClipInfo>& clips = recorders.at(key)->clips();
    for (size_t i = before; i < clips.size(); ++i) {
        const ClipInfo& clip = clips[i];
        if (!clip.status.is_ok()) {
            m.recording_errors++;
            m.clips_lost++;
        }
        auto waiting = clip_events.find(key);
        if (waiting == clip_events.end()) continue;
        std::vector<PendingEvent> events = std::move(waiting->second);
        clip_events.erase(waiting);
        for (PendingEvent& e : events)
            publish(e.firing, e.meta, clip.saved ? clip.path.string() : "",
                    clip.status.is_ok() ? "" : clip.status.to_string(), m);
    }
}

// A source ended: its tracks ended too (the tracker put them in ended_objects); per-object rules see
// them once, and its recordings are closed. Record actions have no frames left to record.
void Pipeline::Impl::end_of_source(PipelineFrame& marker, Metrics& m) {
    FrameMeta& meta = marker.meta;
    if (zones) zones->annotate(meta);
    if (lines) lines->update(meta);
    for (const Firing& firing : rules->evaluate(meta, true))
        publish(firing, meta, "", firing.rule->action.type == ActionType::kRecord ? "the source has ended" : "", m);
    for (auto& [key, rec] : recorders) {
        if (key.second != meta.source_id) continue;
        const size_t before = rec->clips().size();
        rec->finish();
        clips_closed(key, before, m);
    }
}

// Element i's thread: frames one at a time, or batches of ready frames for a batching element.
void Pipeline::Impl::run_element(size_t i, Metrics& m) {
    Queue& in = *queues[i];
    Queue& out = *queues[i + 1];
    Element& element = *elements[i];
    ElementMetrics& em = *m.elements[i];
    const size_t max_batch = em.max_batch;
    auto count_error = [&em](const Status& s) {
        if (!s.is_ok() && em.errors++ < 5) base::log_warning("element " + em.name + ": " + s.to_string());
    };
    std::vector<FramePtr> batch;
    std::vector<PipelineFrame*> frames;
    while (auto f = in.pop()) {
        FramePtr marker;  // an end-of-source marker handled after the frames before it
        if ((*f)->end_of_source) {
            marker = std::move(*f);
        } else {
            batch.push_back(std::move(*f));
            const auto deadline = std::chrono::steady_clock::now() + element.batch_timeout();
            while (batch.size() < max_batch) {
                auto next = in.pop_until(deadline);
                if (!next) break;
                if ((*next)->end_of_source) {
                    marker = std::move(*next);
                    break;
                }
                batch.push_back(std::move(*next));
            }
        }
        if (!batch.empty()) {
            const auto t0 = std::chrono::steady_clock::now();
            frames.clear();
            for (auto& b : batch) frames.push_back(b.get());
            if (max_batch > 1) {
                std::vector<Status> statuses = element.process_batch(frames);
                em.record_batch(frames.size(), micros_since(t0));
                if (statuses.size() != frames.size()) {
                    count_error(internal_error("process_batch returned " + std::to_string(statuses.size()) +
                                               " results for " + std::to_string(frames.size()) + " frames"));
                } else {
                    for (const Status& s : statuses) count_error(s);
                }
            } else {
                const Status s = element.process(*frames.front());
                em.record(micros_since(t0));
                count_error(s);
            }
            for (auto& b : batch) out.push(std::move(b));
            batch.clear();
        }
        if (marker) {
            count_error(element.end_of_source(*marker));
            out.push(std::move(marker));
        }
    }
    element.finish();
    out.close();
}

bool Pipeline::drain_events(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto& [id, d] : impl_->deliveries) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (!d->drain(std::max(left, std::chrono::milliseconds(0)))) return false;
    }
    return true;
}

Result<PipelineSummary> Pipeline::run() {
    Impl& im = *impl_;
    Metrics& m = *metrics_;
    m.started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    im.active_sources = int(im.config.sources.size());
    Queue& first = *im.queues.front();
    for (size_t si = 0; si < im.config.sources.size(); ++si) {
        threads.emplace_back([this, &im, &m, &first, si] {
            const SourceConfig& sc = im.config.sources[si];
            SourceMetrics& sm = *m.sources[si];
            auto report = [&](const Status& s) {
                sm.errors++;
                const std::string line = "source " + sc.id + " (" + sc.uri + "): " + s.to_string();
                base::log_warning(line);
                std::lock_guard<std::mutex> lock(im.errors_mu);
                im.source_errors.push_back(line);
                im.failed_sources.push_back({sc.id, sc.uri, s});
            };
            int64_t last_frame = -1, last_timestamp = 0;
            int last_width = 0, last_height = 0;
            auto opened = im.options.open_source(sc);
            if (!opened.is_ok()) {
                report(opened.status());
            } else {
                io::FrameSource& src = *opened.value();
                const double fps = src.nominal_fps();
                im.source_fps[sc.id] = fps;  // written before this source's first frame is queued
                io::RateLimiter limiter(sc.rate);
                int64_t start_us = 0;
                for (uint64_t n = 0; !stopping_; ++n) {
                    if (im.options.max_frames > 0 && int64_t(n) >= im.options.max_frames) break;
                    if (sc.rate > 0) limiter.wait();
                    auto r = src.next();
                    if (!r.is_ok()) {
                        if (r.status().code() != StatusCode::kEndOfStream) report(r.status());
                        break;
                    }
                    sm.frames++;
                    auto pf = std::make_unique<PipelineFrame>();
                    pf->frame = std::move(r.value());
                    if (pf->frame.timestamp_us == 0) pf->frame.timestamp_us = io::now_us();
                    if (n == 0) start_us = pf->frame.timestamp_us;
                    pf->meta.source_id = sc.id;
                    pf->meta.frame_number = n;
                    // Files play in media time (frame n at n / fps), so durations do not depend on speed.
                    pf->meta.timestamp_us =
                        !sc.live && fps > 0 ? start_us + int64_t(double(n) * 1e6 / fps) : pf->frame.timestamp_us;
                    pf->meta.width = pf->frame.width();
                    pf->meta.height = pf->frame.height();
                    last_frame = int64_t(n);
                    last_timestamp = pf->meta.timestamp_us;
                    last_width = pf->meta.width;
                    last_height = pf->meta.height;
                    if (sc.live) {
                        const std::string& id = sc.id;
                        sm.dropped += uint64_t(first.push_drop_oldest(
                            std::move(pf), [&id](const FramePtr& q) { return q->meta.source_id == id; }));
                    } else if (!first.push(std::move(pf))) {
                        break;
                    }
                }
            }
            if (last_frame >= 0) {
                auto marker = std::make_unique<PipelineFrame>();
                marker->end_of_source = true;
                marker->meta.source_id = sc.id;
                marker->meta.frame_number = uint64_t(last_frame);
                marker->meta.timestamp_us = last_timestamp;
                marker->meta.width = last_width;
                marker->meta.height = last_height;
                marker->frame.source_id = sc.id;
                first.push(std::move(marker));  // never dropped, even for live sources
            }
            sm.ended = true;
            if (--im.active_sources == 0) first.close();
        });
    }
    for (size_t i = 0; i < im.elements.size(); ++i) threads.emplace_back([&im, &m, i] { im.run_element(i, m); });
    PipelineSummary summary;
    {
        Queue& in = *im.queues.back();
        ElementMetrics& em = *m.elements.back();
        while (auto f = in.pop()) {
            const auto t0 = std::chrono::steady_clock::now();
            if ((*f)->end_of_source) {
                im.end_of_source(**f, m);
                continue;
            }
            Status s = im.output(**f, m);
            em.record(uint64_t(
                std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count()));
            summary.frames++;
            if (im.options.on_frame) im.options.on_frame((*f)->meta);
            if (!s.is_ok() && im.output_error.is_ok()) {
                im.output_error = s;
                em.errors++;
                base::log_error(s.to_string());
            }
        }
    }
    for (auto& t : threads) t.join();
    for (auto& [key, rec] : im.recorders) {
        const size_t before = rec->clips().size();
        rec->finish();
        im.clips_closed(key, before, m);
    }
    for (auto& [id, out] : im.metadata)
        if (Status s = out->sync(); !s.is_ok() && im.output_error.is_ok()) im.output_error = s;
    for (auto& [key, v] : im.videos)
        if (v.writer) v.writer->release();
    // Delivery goes on while the sinks are drained, so the summary counts what was delivered by then and
    // what is still pending, exactly.
    drain_events(std::chrono::milliseconds(int64_t(std::max(0.0, im.options.drain_seconds) * 1000)));
    for (const auto& [id, d] : im.deliveries) summary.events_pending += d->stats().pending;
    for (const auto& s : m.sources) summary.dropped += s->dropped;
    summary.events = m.events;
    summary.clips_lost = m.clips_lost;
    summary.events_refused = m.events_refused;
    summary.incomplete_clips_removed = m.incomplete_clips_removed;
    summary.source_errors = im.source_errors;
    summary.failed_sources = im.failed_sources;
    summary.lines = m.summary();
    if (!im.output_error.is_ok()) return im.output_error;
    return summary;
}

}  // namespace edgeinfer::pipeline
