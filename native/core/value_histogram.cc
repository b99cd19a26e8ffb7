#include "value_histogram.h"

#include <string>

#include "histogram.h"
#include "trt_histogram.h"

namespace int8cal {

namespace {
constexpr char kMagic[4] = {'I', '8', 'C', 'H'};
}

std::vector<uint8_t> ValueHistogram::serialize() const {
  ByteWriter out;
  out.raw(kMagic, sizeof kMagic);
  out.u16(kBlobVersion);
  out.u8(static_cast<uint8_t>(mode()));
  writePayload(out);
  return out.take();
}

std::unique_ptr<ValueHistogram> makeHistogram(HistogramMode mode) {
  if (mode == HistogramMode::kTrt) return std::make_unique<TrtHistogram>();
  return std::make_unique<ExactHistogram>();
}

std::unique_ptr<ValueHistogram> deserializeHistogram(const uint8_t* data, size_t size) {
  ByteReader in(data, size);
  in.expect(kMagic, sizeof kMagic, "magic (not an int8cal histogram)");
  const uint16_t version = in.u16();
  if (version == 0 || version > kBlobVersion) {
    throw CorruptData("histogram blob version " + std::to_string(version) +
                      " is not supported (this build reads up to " + std::to_string(kBlobVersion) + ")");
  }
  const uint8_t mode = in.u8();
  std::unique_ptr<ValueHistogram> result;
  if (mode == static_cast<uint8_t>(HistogramMode::kExact)) {
    result = ExactHistogram::readPayload(in, version);
  } else if (mode == static_cast<uint8_t>(HistogramMode::kTrt)) {
    result = TrtHistogram::readPayload(in, version);
  } else {
    throw CorruptData("unknown histogram mode " + std::to_string(mode));
  }
  in.expectEnd();
  return result;
}

}  // namespace int8cal
