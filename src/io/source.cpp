// edgeinfer::FrameSource (include/edgeinfer/source.hpp): io::open_source behind a pimpl, with the rate
// limiter and the frame limit applied in next().
#include "edgeinfer/source.hpp"

#include "io/frame.hpp"
#include "io/frame_source.hpp"

namespace edgeinfer {

class FrameSource::Impl {
  public:
    Impl(std::string dataspec, std::unique_ptr<io::FrameSource> source, const SourceOptions& options)
        : dataspec_(std::move(dataspec)), source_(std::move(source)), limiter_(options.rate), limit_(options.limit) {}

    Result<Frame> next() {
        if (limit_ > 0 && delivered_ >= limit_)
            return Status(StatusCode::kEndOfStream,
                          dataspec_ + ": the limit of " + std::to_string(limit_) + " frames was reached");
        limiter_.wait();
        Result<io::Frame> frame = source_->next();
        if (!frame.is_ok()) return frame.status();
        ++delivered_;
        return io::to_public_frame(frame.value());
    }

    std::string describe() const { return source_->describe(); }
    double nominal_fps() const { return source_->nominal_fps(); }
    uint64_t truncated_frames() const { return source_->truncated_frames(); }

  private:
    std::string dataspec_;
    std::unique_ptr<io::FrameSource> source_;
    io::RateLimiter limiter_;
    int64_t limit_ = 0;
    int64_t delivered_ = 0;
};

Result<std::unique_ptr<FrameSource>> FrameSource::open(const std::string& dataspec, const SourceOptions& options) {
    if (options.width < 0 || options.height < 0 || (options.width > 0) != (options.height > 0))
        return invalid_argument("DATASPEC '" + dataspec + "': width and height must be given together and positive (" +
                                std::to_string(options.width) + "x" + std::to_string(options.height) + ")");
    if (options.fps < 0 || options.rate < 0 || options.limit < 0 || options.max_pixels < 0)
        return invalid_argument("DATASPEC '" + dataspec + "': fps, rate, limit and max_pixels must not be negative");
    io::SourceOptions o;
    o.recursive = options.recursive;
    o.loop = options.loop;
    o.mode.width = options.width;
    o.mode.height = options.height;
    o.mode.fps = options.fps;
    o.max_pixels = options.max_pixels;
    auto source = io::open_source(dataspec, o);
    if (!source.is_ok()) return source.status();
    return std::unique_ptr<FrameSource>(
        new FrameSource(std::make_unique<Impl>(dataspec, std::move(source).value(), options)));
}

FrameSource::FrameSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FrameSource::~FrameSource() = default;

Result<Frame> FrameSource::next() { return impl_->next(); }
std::string FrameSource::describe() const { return impl_->describe(); }
double FrameSource::nominal_fps() const { return impl_->nominal_fps(); }
uint64_t FrameSource::truncated_frames() const { return impl_->truncated_frames(); }

}  // namespace edgeinfer
