// Prints a digest of the bits the shared numeric headers (include/kmlut/numeric, the arithmetic the
// CPU backend and the CUDA kernels have in common) compute on fixed inputs, one line per concern.
// tests/fp_contract/CMakeLists.txt compiles this file three times: with the product's flags, with
// -march=native -ffp-contract=off, and with -march=native alone, which lets the compiler fuse
// a*b+c into one FMA. The first two must print the same lines (the product's -ffp-contract=off is
// what keeps host bits equal to the kernels' under -fmad=false on any instruction set); the third
// shows that the check can see a contraction. The inputs come from integer arithmetic only, so
// they are the same bits in every build.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "kmlut/numeric/cluster_cost.hpp"
#include "kmlut/numeric/distinct_points_kmeans.hpp"
#include "kmlut/numeric/float_format.hpp"
#include "kmlut/numeric/lut_quantization.hpp"
#include "kmlut/numeric/rounding.hpp"

namespace {

namespace numeric = kmlut::numeric;
using numeric::dp::Index;

// FNV-1a over the bytes of every value added.
class Digest {
 public:
  template <class T>
  void add(const T& value) {
    unsigned char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    for (unsigned char byte : bytes)
      hash_ = (hash_ ^ byte) * 0x100000001B3u;
  }
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 0xCBF29CE484222325u;
};

void print(const char* concern, const Digest& digest) {
  std::printf("%s %016llx\n", concern, static_cast<unsigned long long>(digest.value()));
}

// splitmix64: the inputs, from integers only.
class Integers {
 public:
  explicit Integers(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
  }
  // A heavy-tailed value, exact in double: a signed integer of a random bit length over 2^20.
  double heavy_tailed() {
    const std::uint64_t r = next();
    const int bits = 1 + static_cast<int>(r % 24);
    const auto magnitude = static_cast<std::int64_t>((r >> 8) & ((std::uint64_t{1} << bits) - 1));
    return static_cast<double>((r >> 63) != 0 ? -magnitude : magnitude) / 1048576.0;
  }

 private:
  std::uint64_t state_;
};

void rounding_tables() {
  Digest digest;
  std::vector<float> table(numeric::kHalfPatterns);
  for (int precision = 0; precision <= 8; ++precision) {
    numeric::fill_rounding_table(precision, table.data());
    for (float value : table)
      digest.add(value);
  }
  print("rounding_tables", digest);
}

// A random bit pattern of a finite value of the 16-bit format D. NaN payloads are not part of the
// parity contract: an operation on two NaNs returns one of them, and which one follows the operand
// order the compiler picks (the ASan build with -march=native differs here); the device returns its
// canonical NaN, and a tensor with a non-finite value stays dense.
template <kmlut::DType D>
std::uint16_t finite_pattern(Integers& integers) {
  auto pattern = static_cast<std::uint16_t>(integers.next());
  while (!numeric::FloatFormat<D>::is_finite(pattern))
    pattern = static_cast<std::uint16_t>(integers.next());
  return pattern;
}

void format_conversions() {
  Digest digest;
  Integers integers(1);
  for (int i = 0; i < 200000; ++i) {
    const double value = integers.heavy_tailed() / 3.0 + static_cast<double>(i % 7);
    digest.add(numeric::double_to_half_bits(value));
    digest.add(numeric::FloatFormat<kmlut::DType::F16>::from_double(value));
    digest.add(numeric::FloatFormat<kmlut::DType::BF16>::from_double(value));
    const std::uint16_t half = finite_pattern<kmlut::DType::F16>(integers);
    const std::uint16_t other_half = finite_pattern<kmlut::DType::F16>(integers);
    const std::uint16_t bf16 = finite_pattern<kmlut::DType::BF16>(integers);
    const std::uint16_t other_bf16 = finite_pattern<kmlut::DType::BF16>(integers);
    digest.add(numeric::FloatFormat<kmlut::DType::F16>::divide(half, other_half));
    digest.add(numeric::FloatFormat<kmlut::DType::BF16>::multiply(bf16, other_bf16));
  }
  print("format_conversions", digest);
}

void cluster_costs() {
  Digest digest;
  Integers integers(2);
  const std::size_t n = 4096;
  std::vector<double> x(n);
  std::vector<double> w(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = integers.heavy_tailed();
    w[i] = static_cast<double>(1 + integers.next() % 300);
  }
  std::vector<double> sum_w(n + 1), sum_wx(n + 1), sum_wxx(n + 1);
  numeric::fill_prefix_sums(x.data(), w.data(), n, sum_w.data(), sum_wx.data(), sum_wxx.data());
  const numeric::WeightedPrefixSums sums{sum_w.data(), sum_wx.data(), sum_wxx.data()};
  for (int i = 0; i < 100000; ++i) {
    const std::size_t a = integers.next() % n;
    const std::size_t b = integers.next() % n;
    const std::size_t begin = a < b ? a : b;
    const std::size_t end = (a < b ? b : a) + 1;
    digest.add(sums.cost(begin, end));
    double sum_w_before = sum_w[begin];
    digest.add(numeric::running_mean(x.data(), w.data(), begin, end, sum_w_before));
  }
  print("cluster_costs", digest);
}

// Distinct ascending points with positive weights, as a fast-mode block gives them.
void distinct_points(Integers& integers, std::size_t n, std::vector<double>& x,
                     std::vector<double>& w) {
  x.clear();
  w.clear();
  double value = -static_cast<double>(n) / 64.0;
  for (std::size_t i = 0; i < n; ++i) {
    value += static_cast<double>(1 + integers.next() % 97) / 1024.0;
    x.push_back(value);
    w.push_back(static_cast<double>(1 + integers.next() % 500));
  }
}

void exact_kmeans() {
  Digest digest;
  Integers integers(3);
  std::vector<double> x;
  std::vector<double> w;
  for (std::size_t n : {17, 300, 2000, 9000}) {
    distinct_points(integers, n, x, w);
    for (Index k : {2, 4, 16, 64, 256}) {
      const auto size = numeric::distinct_points_workspace_size(n, k);
      std::vector<double> doubles(size.doubles);
      std::vector<Index> indices(size.indices);
      const numeric::DistinctPointsWorkspace work =
          numeric::distinct_points_workspace(doubles.data(), indices.data(), n, k);
      std::vector<Index> ends(k);
      std::vector<double> means(k);
      numeric::dp::CpuLane lane;
      const Index clusters = numeric::solve_distinct_points(
          lane, x.data(), w.data(), static_cast<Index>(n), k, work, ends.data(), means.data());
      for (Index j = 0; j < clusters; ++j) {
        digest.add(ends[j]);
        digest.add(means[j]);
      }
    }
  }
  print("exact_kmeans", digest);
}

void lut_quantization() {
  Digest digest;
  Integers integers(4);
  const auto to_bf16 = [](float v) {
    return numeric::bf16_bits_to_float(numeric::float_to_bf16_bits(v));
  };
  std::vector<float> lut(16);
  for (int i = 0; i < 20000; ++i) {
    for (float& entry : lut)
      entry = static_cast<float>(integers.heavy_tailed());
    for (bool is_signed : {false, true}) {
      for (bool symmetric : {false, true}) {
        const numeric::LutQuantization q =
            numeric::lut_quantization(lut.data(), lut.size(), is_signed, symmetric, to_bf16);
        digest.add(q.scale);
        digest.add(q.zero_point);
        for (float entry : lut)
          digest.add(numeric::dequantize_lut_entry(numeric::quantize_lut_entry(entry, q), q));
      }
    }
  }
  print("lut_quantization", digest);
}

// A canary outside the shared headers: a*b+c on inputs whose fused and unfused results differ.
// Only the build without -ffp-contract=off on an FMA machine may print another digest here.
void fused_multiply_add_canary() {
  Digest digest;
  Integers integers(5);
  for (int i = 0; i < 1000; ++i) {
    const double a = 1.0 + static_cast<double>(integers.next() >> 12) * 0x1.0p-52;
    const double b = 1.0 - static_cast<double>(integers.next() >> 12) * 0x1.0p-53;
    digest.add(a * b - 1.0);
  }
  print("canary_a_times_b_plus_c", digest);
}

}  // namespace

int main() {
  rounding_tables();
  format_conversions();
  cluster_costs();
  exact_kmeans();
  lut_quantization();
  fused_multiply_add_canary();
  return 0;
}
