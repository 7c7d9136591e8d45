// Tests of kmlut v1 reconstruction, whole-checkpoint decoding and verification. The kmlut v1
// files are made here from hand-written LUTs and indices, packed bit by bit, independently of the
// palettizer; the expected dense values come from a gather written from the output's side
// (W[p] = LUT[table of p][idx[p with p_0 / d]][p_0 % d]), not from the decoder's loop.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kmlut/checkpoint.hpp"
#include "kmlut/decode.hpp"
#include "kmlut/error.hpp"
#include "kmlut/numeric/float_formats.hpp"
#include "kmlut/safetensors_writer.hpp"
#include "kmlut/verify.hpp"

namespace kmlut {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using ::testing::AllOf;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------------------------
// Values and bytes

std::vector<std::uint8_t> encode(DType dtype, const std::vector<double>& values) {
  std::vector<std::uint8_t> bytes;
  auto append = [&bytes](const void* data, std::size_t size) {
    const auto* first = static_cast<const std::uint8_t*>(data);
    bytes.insert(bytes.end(), first, first + size);
  };
  for (double value : values) {
    const auto single = static_cast<float>(value);
    if (dtype == DType::F64) {
      append(&value, 8);
    } else if (dtype == DType::F32) {
      append(&single, 4);
    } else if (dtype == DType::F16) {
      const std::uint16_t bits = numeric::float_to_half_bits(single);
      append(&bits, 2);
    } else if (dtype == DType::BF16) {
      const std::uint16_t bits = numeric::float_to_bf16_bits(single);
      append(&bits, 2);
    } else if (dtype == DType::I8) {
      const auto q = static_cast<std::int8_t>(value);
      append(&q, 1);
    } else {
      EXPECT_EQ(dtype, DType::U8);
      const auto q = static_cast<std::uint8_t>(value);
      append(&q, 1);
    }
  }
  return bytes;
}

// A float32 value rounded to D, as torch stores a float32 result in an fp16/bf16 tensor.
double round_to(DType dtype, float value) {
  if (dtype == DType::F16)
    return numeric::half_bits_to_float(numeric::float_to_half_bits(value));
  if (dtype == DType::BF16)
    return numeric::bf16_bits_to_float(numeric::float_to_bf16_bits(value));
  return value;
}

// The Core ML packing as its documentation states it: bit b of index i is bit i·n + b of a
// little-endian stream. Written bit by bit on purpose.
std::vector<std::uint8_t> pack_bits(const std::vector<std::uint32_t>& indices, int n_bits) {
  std::vector<std::uint8_t> stream((indices.size() * static_cast<std::size_t>(n_bits) + 7) / 8, 0);
  std::size_t bit = 0;
  for (std::uint32_t index : indices) {
    for (int b = 0; b < n_bits; ++b, ++bit) {
      if ((index >> b) & 1u)
        stream[bit / 8] = static_cast<std::uint8_t>(stream[bit / 8] | (1u << (bit % 8)));
    }
  }
  return stream;
}

std::int64_t product(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (std::int64_t dim : shape)
    n *= dim;
  return n;
}

std::size_t to_size(std::int64_t value) {
  return static_cast<std::size_t>(value);
}

// ---------------------------------------------------------------------------------------------
// Hand-made kmlut v1 tensors

struct RawTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;
};

// One palettized tensor N, described by what a producer would have computed.
struct HandMade {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  int n_bits = 2;
  int cluster_dim = 1;
  std::optional<int> group_axis;
  std::optional<std::int64_t> group_size;
  std::vector<std::int64_t> grid;      // g_0 … g_{r-1}
  std::vector<double> lut;             // num_luts × 2^n_bits × cluster_dim, as stored
  std::vector<std::uint32_t> indices;  // row-major over S_idx
  std::vector<double> scale;           // per-channel scale, S_0 values, or empty
  DType lut_dtype = DType::F32;        // == dtype unless quantized (I8/U8)
  std::vector<double> lut_scale;       // quantized LUT only
  std::vector<double> lut_zero_point;  // quantized LUT only; may stay empty

  std::vector<std::int64_t> index_shape() const {
    std::vector<std::int64_t> s = shape;
    s[0] /= cluster_dim;
    return s;
  }
  std::int64_t num_luts() const { return product(grid); }
  std::int64_t palette() const { return std::int64_t{1} << n_bits; }
  bool quantized() const { return lut_dtype == DType::I8 || lut_dtype == DType::U8; }
};

// The LUT values D holds: a quantized LUT is (q − zero_point)·lut_scale in float32, cast to D.
std::vector<double> real_lut(const HandMade& t) {
  if (!t.quantized())
    return t.lut;
  std::vector<double> values(t.lut.size());
  const std::size_t per_table = values.size() / to_size(t.num_luts());
  for (std::size_t k = 0; k < values.size(); ++k) {
    const std::size_t table = k / per_table;
    const double zero = t.lut_zero_point.empty() ? 0.0 : t.lut_zero_point[table];
    values[k] = round_to(
        t.dtype, static_cast<float>(t.lut[k] - zero) * static_cast<float>(t.lut_scale[table]));
  }
  return values;
}

// DESIGN §4 from the output's side: for output position p (row-major over S), the index position
// is q = p with q_0 = p_0 / d, the vector component j = p_0 % d, the table t_i = q_i / block_i.
std::vector<double> expected_dense(const HandMade& t) {
  const std::vector<std::int64_t> s_idx = t.index_shape();
  const std::vector<double> lut = real_lut(t);
  const std::size_t rank = t.shape.size();
  std::vector<double> out(to_size(product(t.shape)));
  std::vector<std::int64_t> p(rank, 0);
  for (double& value : out) {
    std::int64_t q_flat = 0, table = 0;
    for (std::size_t i = 0; i < rank; ++i) {
      const std::int64_t q = i == 0 ? p[0] / t.cluster_dim : p[i];
      q_flat = q_flat * s_idx[i] + q;
      table = table * t.grid[i] + q / (s_idx[i] / t.grid[i]);
    }
    const std::int64_t j = p[0] % t.cluster_dim;
    value = lut[to_size((table * t.palette() + t.indices[to_size(q_flat)]) * t.cluster_dim + j)];
    if (!t.scale.empty()) {
      const double s = t.scale[to_size(p[0])];
      value = t.dtype == DType::F64
                  ? value * s
                  : round_to(t.dtype, static_cast<float>(value) * static_cast<float>(s));
    }
    for (std::size_t i = rank; i-- > 0;) {
      if (++p[i] < t.shape[i])
        break;
      p[i] = 0;
    }
  }
  return out;
}

Json entry_json(const HandMade& t) {
  auto optional = [](const auto& value) { return value ? Json(*value) : Json(); };
  return {{"shape", t.shape},
          {"dtype", std::string(dtype_name(t.dtype))},
          {"n_bits", t.n_bits},
          {"cluster_dim", t.cluster_dim},
          {"vector_axis", t.cluster_dim > 1 ? Json(0) : Json()},
          {"group_axis", optional(t.group_axis)},
          {"group_size", optional(t.group_size)},
          {"packing", "lsb_bitstream"},
          {"lut", t.name + ".lut"},
          {"indices", t.name + ".indices"},
          {"scale", t.scale.empty() ? Json() : Json(t.name + ".scale")}};
}

std::vector<RawTensor> parts_of(const HandMade& t) {
  std::vector<std::int64_t> lut_shape = t.grid;
  lut_shape.push_back(t.palette());
  lut_shape.push_back(t.cluster_dim);
  const auto packed = pack_bits(t.indices, t.n_bits);
  std::vector<RawTensor> parts{
      {t.name + ".lut", t.lut_dtype, lut_shape, encode(t.lut_dtype, t.lut)},
      {t.name + ".indices", DType::U8, {static_cast<std::int64_t>(packed.size())}, packed}};
  if (!t.scale.empty()) {
    std::vector<std::int64_t> scale_shape(t.shape.size(), 1);
    scale_shape[0] = t.shape[0];
    parts.push_back({t.name + ".scale", t.dtype, scale_shape, encode(t.dtype, t.scale)});
  }
  const std::vector<std::int64_t> per_lut{t.num_luts()};
  if (!t.lut_scale.empty()) {
    parts.push_back({t.name + ".lut_scale", t.dtype, per_lut, encode(t.dtype, t.lut_scale)});
  }
  if (!t.lut_zero_point.empty()) {
    parts.push_back(
        {t.name + ".lut_zero_point", t.lut_dtype, per_lut, encode(t.lut_dtype, t.lut_zero_point)});
  }
  return parts;
}

// Random LUT entries and indices; LUT values are multiples of 1/64 in [-2, 2), exact in BF16.
HandMade random_tensor(std::string name, DType dtype, std::vector<std::int64_t> shape, int n_bits,
                       std::vector<std::int64_t> grid, unsigned seed) {
  HandMade t;
  t.name = std::move(name);
  t.dtype = t.lut_dtype = dtype;
  t.shape = std::move(shape);
  t.n_bits = n_bits;
  t.grid = std::move(grid);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> level(-128, 127);
  t.lut.resize(to_size(t.num_luts() * t.palette()));
  for (double& value : t.lut)
    value = level(rng) / 64.0;
  std::uniform_int_distribution<std::uint32_t> index(0,
                                                     static_cast<std::uint32_t>(t.palette() - 1));
  t.indices.resize(to_size(product(t.index_shape())));
  for (std::uint32_t& value : t.indices)
    value = index(rng);
  return t;
}

// Grouped along `axis` with `group_size`, the LUT grid that goes with it.
HandMade grouped(std::string name, DType dtype, std::vector<std::int64_t> shape, int n_bits,
                 int axis, std::int64_t group_size, unsigned seed) {
  std::vector<std::int64_t> grid(shape.size(), 1);
  grid[to_size(axis)] = shape[to_size(axis)] / group_size;
  HandMade t = random_tensor(std::move(name), dtype, std::move(shape), n_bits, grid, seed);
  t.group_axis = axis;
  t.group_size = group_size;
  return t;
}

HandMade per_tensor(std::string name, DType dtype, std::vector<std::int64_t> shape, int n_bits,
                    unsigned seed) {
  std::vector<std::int64_t> grid(shape.size(), 1);
  return random_tensor(std::move(name), dtype, std::move(shape), n_bits, grid, seed);
}

// ---------------------------------------------------------------------------------------------
// Fixture

class DecodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "kmlut-decode-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void write_raw(const fs::path& path, const std::vector<RawTensor>& tensors,
                        std::vector<std::pair<std::string, std::string>> metadata) {
    std::vector<OutputTensor> layout;
    for (const RawTensor& t : tensors)
      layout.push_back({t.name, t.dtype, t.shape});
    SafetensorsWriter writer(path, layout, std::move(metadata));
    for (const RawTensor& t : tensors)
      writer.write(t.name, {t.bytes.data(), t.bytes.size()});
    writer.commit();
  }

  // A kmlut v1 file holding the hand-made tensors' parts, `extra` tensors and this metadata.
  static void write_kmlut(const fs::path& path, std::vector<RawTensor> tensors,
                          const std::string& kmlut_tensors) {
    write_raw(path, tensors,
              {{"format", "pt"}, {"kmlut.version", "1"}, {"kmlut.tensors", kmlut_tensors}});
  }

  fs::path write_handmade(const std::string& file, const std::vector<HandMade>& palettized,
                          const std::vector<RawTensor>& extra = {}) const {
    std::vector<RawTensor> tensors = extra;
    Json entries = Json::object();
    for (const HandMade& t : palettized) {
      for (RawTensor& part : parts_of(t))
        tensors.push_back(std::move(part));
      entries[t.name] = entry_json(t);
    }
    const fs::path path = dir_ / file;
    write_kmlut(path, tensors, entries.dump());
    return path;
  }

  // Reconstructs `name` from the file and checks it equals the expected bytes exactly.
  static void expect_reconstructs(const fs::path& path, const HandMade& t) {
    const Checkpoint checkpoint = Checkpoint::open(path);
    const KmlutIndex index(checkpoint);
    const KmlutIndex::Entry* entry = index.find(t.name);
    ASSERT_NE(entry, nullptr) << t.name;
    EXPECT_EQ(index.reconstruct(*entry), encode(t.dtype, expected_dense(t))) << t.name;
  }

  // The InputError message decoding `path` raises (empty when none).
  static std::string decode_error(const fs::path& path) {
    try {
      const Checkpoint checkpoint = Checkpoint::open(path);
      const KmlutIndex index(checkpoint);
      for (const KmlutIndex::Entry& entry : index.entries())
        index.reconstruct(entry);
    } catch (const InputError& error) {
      return error.what();
    }
    return "";
  }

  fs::path dir_;
};

// ---------------------------------------------------------------------------------------------
// Literal examples, worked out by hand

TEST_F(DecodeTest, LiteralPerTensorThreeBitExample) {
  // Indices 5 = 101b, 3 = 011b, 6 = 110b, each LSB first: the stream 1,0,1, 1,1,0, 0,1,1 gives
  // byte 0 = 0b10011101 (bits 0..7) and byte 1 = 0b1.
  HandMade t = per_tensor("w", DType::F32, {3}, 3, 0);
  t.lut = {0, 10, 20, 30, 40, 50, 60, 70};
  t.indices = {5, 3, 6};
  EXPECT_EQ(pack_bits(t.indices, 3), (std::vector<std::uint8_t>{0x9D, 0x01}));
  const fs::path path = write_handmade("literal.safetensors", {t});
  const Checkpoint checkpoint = Checkpoint::open(path);
  const KmlutIndex index(checkpoint);
  EXPECT_EQ(index.reconstruct(*index.find("w")), encode(DType::F32, {50, 30, 60}));
}

TEST_F(DecodeTest, LiteralGroupedVectorExample) {
  // W [4, 2], cluster_dim 2, grouped on axis 1 with group_size 1: S_idx [2, 2], LUT grid [1, 2],
  // table t = column. Index [i, c] gives rows 2i and 2i+1 of column c.
  HandMade t = grouped("v", DType::F32, {4, 2}, 1, 1, 1, 0);
  t.cluster_dim = 2;
  t.lut = {1, 2, 3, 4,   // column 0's LUT: entry 0 = (1, 2), entry 1 = (3, 4)
           5, 6, 7, 8};  // column 1's LUT
  t.indices = {1, 0,     // index row 0
               0, 1};    // index row 1
  const fs::path path = write_handmade("vector.safetensors", {t});
  const Checkpoint checkpoint = Checkpoint::open(path);
  const KmlutIndex index(checkpoint);
  EXPECT_EQ(index.reconstruct(*index.find("v")), encode(DType::F32, {3, 5, 4, 6, 1, 7, 2, 8}));
}

// ---------------------------------------------------------------------------------------------
// Layouts and dtypes

TEST_F(DecodeTest, PerTensorEveryBitWidthAndDtype) {
  std::vector<HandMade> tensors;
  unsigned seed = 1;
  for (DType dtype : {DType::F32, DType::F16, DType::BF16, DType::F64}) {
    for (int n_bits : {1, 2, 3, 4, 6, 8}) {
      const std::string name = std::string(dtype_name(dtype)) + ".b" + std::to_string(n_bits);
      tensors.push_back(per_tensor(name, dtype, {5, 7}, n_bits, seed++));  // 35 indices: padding
    }
  }
  const fs::path path = write_handmade("bits.safetensors", tensors);
  for (const HandMade& t : tensors)
    expect_reconstructs(path, t);
}

TEST_F(DecodeTest, GroupedAxis0And1) {
  const std::vector<HandMade> tensors{
      grouped("rows", DType::BF16, {6, 4}, 3, 0, 2, 11),
      grouped("cols", DType::F32, {4, 6}, 2, 1, 3, 12),
      grouped("conv.out", DType::F16, {4, 6, 3, 3}, 4, 0, 2, 13),
      grouped("conv.in", DType::F16, {4, 6, 3, 3}, 4, 1, 2, 14),
      grouped("vec1d", DType::F32, {12}, 6, 0, 4, 15),
  };
  const fs::path path = write_handmade("grouped.safetensors", tensors);
  for (const HandMade& t : tensors)
    expect_reconstructs(path, t);
}

TEST_F(DecodeTest, VectorsOfClusterDim2) {
  auto vectors = [](HandMade t) {
    t.cluster_dim = 2;
    t.indices.resize(to_size(product(t.index_shape())));
    t.lut.resize(t.lut.size() * 2);
    std::mt19937 rng(7);
    for (double& value : t.lut)
      value = (static_cast<int>(rng() % 256) - 128) / 64.0;
    return t;
  };
  const std::vector<HandMade> tensors{
      vectors(grouped("linear", DType::F32, {8, 3}, 2, 0, 4, 21)),
      vectors(per_tensor("conv", DType::BF16, {4, 2, 3, 3}, 3, 22)),
      vectors(grouped("conv.cols", DType::F16, {6, 4, 1, 1}, 4, 1, 2, 23)),
  };
  const fs::path path = write_handmade("vectors.safetensors", tensors);
  for (const HandMade& t : tensors)
    expect_reconstructs(path, t);
}

TEST_F(DecodeTest, PerChannelScaleRoundsTheProductOnceToTheDtype) {
  std::vector<HandMade> tensors;
  unsigned seed = 31;
  for (DType dtype : {DType::F32, DType::F16, DType::BF16}) {
    HandMade t = grouped(std::string("scaled.") + std::string(dtype_name(dtype)), dtype, {4, 5}, 4,
                         0, 2, seed++);
    // 7-bit scales times 8-bit LUT values: products of up to 15 bits, which F16/BF16 round.
    t.scale = {0.984375, 1.03125, 0.0078125, 1.96875};
    tensors.push_back(t);
  }
  HandMade vectors = grouped("scaled.vectors", DType::F16, {4, 3}, 1, 0, 2, seed);
  vectors.cluster_dim = 2;
  vectors.indices = {0, 1, 1, 0, 1, 0};
  vectors.lut = {0.5, -1.5, 1.25, 0.75, -0.25, 1.75, 1.0, -2.0};
  vectors.scale = {0.5078125, 3.0, 1.0, 0.1015625};
  tensors.push_back(vectors);
  const fs::path path = write_handmade("scaled.safetensors", tensors);
  for (const HandMade& t : tensors)
    expect_reconstructs(path, t);
}

TEST_F(DecodeTest, LiteralScaledF16Product) {
  // 1.9921875 (255/128) × 1.96875 (63/32) = 16065/4096 = 3.922119…: 14 significant bits, which
  // F16 rounds to 2008/512 = 3.921875. −0.5 × 3 = −1.5 is exact.
  HandMade t = per_tensor("s", DType::F16, {2, 1}, 1, 0);
  t.lut = {1.9921875, -0.5};
  t.indices = {0, 1};
  t.scale = {1.96875, 3.0};
  const fs::path path = write_handmade("literal-scale.safetensors", {t});
  const Checkpoint checkpoint = Checkpoint::open(path);
  const KmlutIndex index(checkpoint);
  EXPECT_EQ(index.reconstruct(*index.find("s")), encode(DType::F16, {3.921875, -1.5}));
}

TEST_F(DecodeTest, QuantizedLutWithScaleAndZeroPoint) {
  HandMade int8 = grouped("int8", DType::F32, {4, 4}, 2, 0, 2, 41);
  int8.lut_dtype = DType::I8;
  int8.lut = {-128, -3, 0, 127, -1, 2, 50, 100};
  int8.lut_scale = {0.1f, 0.003f};
  int8.lut_zero_point = {-3, 5};
  HandMade uint8 = per_tensor("uint8", DType::F16, {3, 3}, 1, 42);
  uint8.lut_dtype = DType::U8;
  uint8.lut = {0, 255};
  uint8.lut_scale = {0.01000213623046875};  // the fp16 nearest 0.01: N.lut_scale is F16 here
  uint8.scale = {1.0, 2.0, 0.5};
  const fs::path path = write_handmade("quantized.safetensors", {int8, uint8});
  expect_reconstructs(path, int8);
  expect_reconstructs(path, uint8);
  // (−3 − (−3))·0.1 = 0 and (100 − 5)·0.003 in float32.
  const std::vector<double> lut = real_lut(int8);
  EXPECT_EQ(lut[1], 0.0);
  EXPECT_EQ(lut[7], static_cast<double>(95.0f * 0.003f));
}

// ---------------------------------------------------------------------------------------------
// Whole checkpoints

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::uint8_t> bytes_of(const Checkpoint& checkpoint, const std::string& name) {
  const Checkpoint::TensorRef* ref = checkpoint.find(name);
  if (ref == nullptr)
    return {};
  const ByteView view = checkpoint.data(*ref);
  return {view.data, view.data + view.size};
}

std::vector<RawTensor> plain_tensors() {
  std::vector<std::uint8_t> ids(8 * 5);
  for (std::size_t i = 0; i < ids.size(); ++i)
    ids[i] = static_cast<std::uint8_t>(i * 37 + 1);
  return {{"ids", DType::I64, {5}, ids},
          {"norm.weight", DType::BF16, {3}, encode(DType::BF16, {1.0, -0.5, 3.25})},
          {"w.bias", DType::F32, {2}, encode(DType::F32, {0.1, -7.0})}};
}

TEST_F(DecodeTest, DecodeReconstructsAndCopiesByteForByte) {
  const HandMade w = grouped("w", DType::F16, {4, 6}, 4, 1, 3, 51);
  HandMade conv = per_tensor("conv.weight", DType::BF16, {2, 3, 2, 2}, 3, 52);
  conv.scale = {0.5, 2.0};
  const fs::path input = write_handmade("in.safetensors", {w, conv}, plain_tensors());
  const fs::path output = dir_ / "sub" / "out.safetensors";
  const DecodeSummary summary = decode_checkpoint(Checkpoint::open(input), output);
  EXPECT_EQ(summary.palettized, 2u);
  EXPECT_EQ(summary.copied, 3u);
  EXPECT_EQ(summary.files, std::vector<fs::path>{output});

  const Checkpoint in = Checkpoint::open(input);
  const Checkpoint out = Checkpoint::open(output);
  ASSERT_EQ(out.tensors().size(), 5u);
  EXPECT_EQ(out.shards()[0].header().metadata,
            (std::vector<std::pair<std::string, std::string>>{{"format", "pt"}}));
  for (const RawTensor& plain : plain_tensors()) {
    EXPECT_EQ(bytes_of(out, plain.name), bytes_of(in, plain.name)) << plain.name;
    EXPECT_EQ(out.find(plain.name)->info->shape, plain.shape);
  }
  for (const HandMade* t : std::vector<const HandMade*>{&w, &conv}) {
    const TensorInfo& info = *out.find(t->name)->info;
    EXPECT_EQ(info.dtype, t->dtype);
    EXPECT_EQ(info.shape, t->shape);
    EXPECT_EQ(bytes_of(out, t->name), encode(t->dtype, expected_dense(*t))) << t->name;
  }
  EXPECT_EQ(summary.bytes, out.shards()[0].header().tensors.back().end);
}

TEST_F(DecodeTest, ShardedInputGivesShardedOutput) {
  const HandMade a = grouped("a.weight", DType::F32, {4, 4}, 2, 0, 2, 61);
  const HandMade b = per_tensor("b.weight", DType::F16, {3, 5}, 6, 62);
  const fs::path in_dir = dir_ / "in";
  fs::create_directories(in_dir);
  std::vector<RawTensor> first = parts_of(a);
  first.push_back(plain_tensors()[0]);
  std::vector<RawTensor> second = parts_of(b);
  second.push_back(plain_tensors()[2]);
  write_kmlut(in_dir / "model-00001-of-00002.safetensors", first,
              Json{{"a.weight", entry_json(a)}}.dump());
  write_kmlut(in_dir / "model-00002-of-00002.safetensors", second,
              Json{{"b.weight", entry_json(b)}}.dump());
  Json weight_map = Json::object();
  for (const RawTensor& t : first)
    weight_map[t.name] = "model-00001-of-00002.safetensors";
  for (const RawTensor& t : second)
    weight_map[t.name] = "model-00002-of-00002.safetensors";
  std::ofstream(in_dir / "model.safetensors.index.json")
      << Json{{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}}.dump();

  const fs::path out_dir = dir_ / "out";
  const DecodeSummary summary = decode_checkpoint(Checkpoint::open(in_dir), out_dir);
  EXPECT_EQ(summary.palettized, 2u);
  EXPECT_EQ(summary.copied, 2u);
  EXPECT_EQ(summary.files.size(), 3u);

  // Unordered JSON: the weight map's order is not part of the contract.
  const nlohmann::json index =
      nlohmann::json::parse(read_file(out_dir / "model.safetensors.index.json"));
  const std::uint64_t expected_size = 4 * 4 * 4 + 5 * 8 + 3 * 5 * 2 + 2 * 4;
  EXPECT_EQ(index["metadata"]["total_size"], expected_size);
  EXPECT_EQ(index["weight_map"], (nlohmann::json{{"a.weight", "model-00001-of-00002.safetensors"},
                                                 {"ids", "model-00001-of-00002.safetensors"},
                                                 {"b.weight", "model-00002-of-00002.safetensors"},
                                                 {"w.bias", "model-00002-of-00002.safetensors"}}));
  const Checkpoint out = Checkpoint::open(out_dir);
  EXPECT_EQ(out.layout(), Checkpoint::Layout::Sharded);
  for (const SafetensorsFile& shard : out.shards()) {
    EXPECT_EQ(shard.header().metadata,
              (std::vector<std::pair<std::string, std::string>>{{"format", "pt"}}));
  }
  EXPECT_EQ(bytes_of(out, "a.weight"), encode(DType::F32, expected_dense(a)));
  EXPECT_EQ(bytes_of(out, "b.weight"), encode(DType::F16, expected_dense(b)));
  EXPECT_EQ(bytes_of(out, "ids"), plain_tensors()[0].bytes);
}

TEST_F(DecodeTest, FileWithoutKmlutMetadataIsCopied) {
  const fs::path input = dir_ / "plain.safetensors";
  write_raw(input, plain_tensors(), {{"format", "pt"}, {"source", "test"}});
  const fs::path output = dir_ / "plain-out.safetensors";
  const DecodeSummary summary = decode_checkpoint(Checkpoint::open(input), output);
  EXPECT_EQ(summary.palettized, 0u);
  EXPECT_EQ(summary.copied, 3u);
  const Checkpoint out = Checkpoint::open(output);
  for (const RawTensor& plain : plain_tensors())
    EXPECT_EQ(bytes_of(out, plain.name), plain.bytes);
}

// ---------------------------------------------------------------------------------------------
// Defective files: InputError naming the file and the tensor

class DecodeDefectTest : public DecodeTest {
 protected:
  // Writes w (a grouped 3-bit tensor, 15 indices) after `mutate` edits its parts and entry.
  template <class Mutate>
  fs::path write_defect(Mutate mutate) {
    const HandMade w = grouped("model.w", DType::F32, {6, 5}, 3, 0, 3, 71);
    std::vector<RawTensor> parts = parts_of(w);
    Json entries{{"model.w", entry_json(w)}};
    mutate(parts, entries["model.w"]);
    const fs::path path = dir_ / "defect.safetensors";
    write_kmlut(path, parts, entries.dump());
    return path;
  }

  static RawTensor* part(std::vector<RawTensor>& parts, const std::string& name) {
    for (RawTensor& t : parts) {
      if (t.name == name)
        return &t;
    }
    return nullptr;
  }

  static auto names_file_and_tensor(const fs::path& path) {
    return AllOf(HasSubstr(path.string()), HasSubstr("\"model.w\""));
  }
};

TEST_F(DecodeDefectTest, TheHandMadeBaselineDecodes) {
  EXPECT_EQ(decode_error(write_defect([](auto&, auto&) {})), "");
}

TEST_F(DecodeDefectTest, BadMetadataJson) {
  const HandMade w = per_tensor("model.w", DType::F32, {4}, 1, 72);
  const fs::path path = dir_ / "bad-json.safetensors";
  write_kmlut(path, parts_of(w), "{\"model.w\": {\"shape\": [4], ");
  EXPECT_THAT(decode_error(path), AllOf(HasSubstr(path.string()), HasSubstr("kmlut.tensors"),
                                        HasSubstr("invalid JSON")));
}

TEST_F(DecodeDefectTest, MissingLut) {
  const fs::path path = write_defect([](std::vector<RawTensor>& parts, Json&) {
    parts.erase(parts.begin());  // model.w.lut
  });
  EXPECT_THAT(decode_error(path),
              AllOf(names_file_and_tensor(path), HasSubstr("\"model.w.lut\" is missing")));
}

TEST_F(DecodeDefectTest, WrongPackedSize) {
  const fs::path path = write_defect([](std::vector<RawTensor>& parts, Json&) {
    RawTensor* indices = part(parts, "model.w.indices");
    indices->bytes.push_back(0);  // 30 indices × 3 bits need 12 bytes, not 13
    indices->shape = {13};
  });
  EXPECT_THAT(decode_error(path), AllOf(names_file_and_tensor(path), HasSubstr("is U8 [13]"),
                                        HasSubstr("implies U8 [12]")));
}

TEST_F(DecodeDefectTest, LutDimsThatDoNotDivide) {
  const fs::path path = write_defect([](std::vector<RawTensor>& parts, Json&) {
    RawTensor* lut = part(parts, "model.w.lut");
    lut->shape = {4, 1, 8, 1};  // 4 tables cannot split 6 rows
    lut->bytes.resize(4 * 8 * 4, 0);
  });
  EXPECT_THAT(decode_error(path), AllOf(names_file_and_tensor(path), HasSubstr("is F32 [4,1,8,1]"),
                                        HasSubstr("implies F32 [2,1,8,1]")));
}

TEST_F(DecodeDefectTest, LutShapeDisagreesWithGrouping) {
  const fs::path path = write_defect([](std::vector<RawTensor>&, Json& entry) {
    entry["group_size"] = 6;  // one group, but the LUT has two tables
  });
  EXPECT_THAT(decode_error(path), AllOf(names_file_and_tensor(path), HasSubstr("is F32 [2,1,8,1]"),
                                        HasSubstr("implies F32 [1,1,8,1]")));
}

TEST_F(DecodeDefectTest, IndexOutOfRange) {
  // 30 three-bit indices fill 90 bits; the stream's last 6 bits would start a 31st index.
  const fs::path stray = write_defect([](std::vector<RawTensor>& parts, Json&) {
    part(parts, "model.w.indices")->bytes.back() |= 0x80;
  });
  EXPECT_THAT(decode_error(stray),
              AllOf(names_file_and_tensor(stray), HasSubstr("index out of range")));
  // A LUT with fewer entries than 2^n_bits cannot hold every index.
  const fs::path short_lut = write_defect([](std::vector<RawTensor>& parts, Json&) {
    RawTensor* lut = part(parts, "model.w.lut");
    lut->shape = {2, 1, 6, 1};
    lut->bytes.resize(2 * 6 * 4);
  });
  EXPECT_THAT(decode_error(short_lut),
              AllOf(names_file_and_tensor(short_lut), HasSubstr("is F32 [2,1,6,1]"),
                    HasSubstr("implies F32 [2,1,8,1]")));
}

TEST_F(DecodeDefectTest, WrongDtypesAndMissingScale) {
  const fs::path lut_dtype = write_defect([](std::vector<RawTensor>& parts, Json&) {
    RawTensor* lut = part(parts, "model.w.lut");
    lut->dtype = DType::I32;  // neither D nor I8/U8
  });
  EXPECT_THAT(decode_error(lut_dtype), AllOf(names_file_and_tensor(lut_dtype), HasSubstr("I32")));
  const fs::path no_lut_scale = write_defect([](std::vector<RawTensor>& parts, Json&) {
    RawTensor* lut = part(parts, "model.w.lut");
    lut->dtype = DType::I8;
    lut->bytes.resize(lut->bytes.size() / 4);
  });
  EXPECT_THAT(decode_error(no_lut_scale),
              AllOf(names_file_and_tensor(no_lut_scale), HasSubstr("model.w.lut_scale")));
  const fs::path no_scale =
      write_defect([](std::vector<RawTensor>&, Json& entry) { entry["scale"] = "model.w.scale"; });
  EXPECT_THAT(decode_error(no_scale),
              AllOf(names_file_and_tensor(no_scale), HasSubstr("\"model.w.scale\" is missing")));
}

TEST_F(DecodeDefectTest, UnsupportedVersion) {
  const HandMade w = per_tensor("model.w", DType::F32, {4}, 1, 73);
  const fs::path path = dir_ / "v2.safetensors";
  write_raw(path, parts_of(w),
            {{"kmlut.version", "2"}, {"kmlut.tensors", Json{{"model.w", entry_json(w)}}.dump()}});
  EXPECT_THAT(decode_error(path), AllOf(HasSubstr(path.string()), HasSubstr("\"2\"")));
}

// ---------------------------------------------------------------------------------------------
// verify_checkpoint

TEST_F(DecodeTest, VerifyMeasuresErrorAgainstTheOriginal) {
  HandMade w = per_tensor("w", DType::F32, {4}, 1, 81);
  w.lut = {1.0, 3.0};
  w.indices = {0, 0, 1, 1};  // Ŵ = [1, 1, 3, 3]
  const fs::path palettized = write_handmade("pal.safetensors", {w}, plain_tensors());
  std::vector<RawTensor> original = plain_tensors();
  original.push_back({"w", DType::F32, {4}, encode(DType::F32, {1.0, 2.0, 3.0, 5.0})});
  const fs::path original_path = dir_ / "orig.safetensors";
  write_raw(original_path, original, {{"format", "pt"}});

  const VerifyReport report =
      verify_checkpoint(Checkpoint::open(original_path), Checkpoint::open(palettized));
  ASSERT_EQ(report.tensors.size(), 4u);
  EXPECT_EQ(report.palettized_count, 1u);
  double float_sum_sq = 0.0;  // the totals leave the I64 tensor out
  for (const TensorVerification& tensor : report.tensors) {
    if (tensor.dtype != DType::I64)
      float_sum_sq += tensor.error.sum_sq;
    EXPECT_TRUE(tensor.values_compared);
    if (tensor.name == "w")
      continue;
    EXPECT_FALSE(tensor.palettized) << tensor.name;
    EXPECT_TRUE(tensor.identical) << tensor.name;
    EXPECT_EQ(tensor.error.sse, 0.0) << tensor.name;
    EXPECT_EQ(tensor.error.rel_error(), 0.0) << tensor.name;
    EXPECT_EQ(tensor.error.snr_db(), std::numeric_limits<double>::infinity()) << tensor.name;
  }
  const auto w_row = std::find_if(report.tensors.begin(), report.tensors.end(),
                                  [](const TensorVerification& t) { return t.name == "w"; });
  ASSERT_NE(w_row, report.tensors.end());
  EXPECT_TRUE(w_row->palettized);
  EXPECT_FALSE(w_row->identical);
  EXPECT_EQ(w_row->error.numel, 4u);
  EXPECT_EQ(w_row->error.sum_sq, 39.0);  // 1 + 4 + 9 + 25
  EXPECT_EQ(w_row->error.sse, 5.0);      // 0 + 1 + 0 + 4
  EXPECT_EQ(w_row->error.max_abs_error, 2.0);
  EXPECT_DOUBLE_EQ(w_row->error.rel_error(), std::sqrt(5.0 / 39.0));
  EXPECT_DOUBLE_EQ(w_row->error.snr_db(), 10.0 * std::log10(39.0 / 5.0));
  EXPECT_EQ(report.total.sse, 5.0);
  EXPECT_EQ(report.total.sum_sq, float_sum_sq);
  EXPECT_EQ(report.total.numel, 4u + 3u + 2u);
  EXPECT_EQ(report.total.max_abs_error, 2.0);
  EXPECT_EQ(report.palettized_total.sse, 5.0);
  EXPECT_EQ(report.palettized_total.sum_sq, 39.0);
  EXPECT_EQ(report.palettized_total.numel, 4u);
}

TEST_F(DecodeTest, VerifyNamesMissingAndMismatchedTensors) {
  const HandMade w = per_tensor("w", DType::F32, {4}, 1, 82);
  const fs::path palettized = write_handmade("pal.safetensors", {w});
  const fs::path missing = dir_ / "missing.safetensors";
  write_raw(missing, {{"absent.weight", DType::F32, {1}, encode(DType::F32, {1.0})}}, {});
  try {
    verify_checkpoint(Checkpoint::open(missing), Checkpoint::open(palettized));
    ADD_FAILURE() << "no error";
  } catch (const InputError& error) {
    EXPECT_THAT(error.what(),
                AllOf(HasSubstr(palettized.string()), HasSubstr("\"absent.weight\": missing")));
  }
  const fs::path reshaped = dir_ / "reshaped.safetensors";
  write_raw(reshaped, {{"w", DType::F32, {2, 2}, encode(DType::F32, {1, 2, 3, 4})}}, {});
  try {
    verify_checkpoint(Checkpoint::open(reshaped), Checkpoint::open(palettized));
    ADD_FAILURE() << "no error";
  } catch (const InputError& error) {
    EXPECT_THAT(error.what(), AllOf(HasSubstr("\"w\""), HasSubstr("F32 [4]"), HasSubstr("[2,2]")));
  }
}

}  // namespace
}  // namespace kmlut
