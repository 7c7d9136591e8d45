// An embedder's use of the installed public API alone: palettize an in-memory tensor through a
// plan, a request and a backend, write the result as a kmlut v1 file with CheckpointWriter, and
// write the values the example reconstructs itself (from the backend's unpacked indices and LUT,
// by the rule of docs/format.md) as a dense safetensors file. The install test decodes the first
// file with `kmlut decode` and requires it to equal the second byte for byte.
//
// Usage: embed_palettize PALETTIZED.safetensors EXPECTED_DENSE.safetensors
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <kmlut/checkpoint_writer.hpp>
#include <kmlut/config.hpp>
#include <kmlut/model.hpp>
#include <kmlut/palettize.hpp>
#include <kmlut/palettized_output.hpp>
#include <kmlut/plan.hpp>
#include <kmlut/safetensors_writer.hpp>
#include <vector>

namespace {

constexpr std::int64_t kRows = 64;
constexpr std::int64_t kCols = 48;

// A smooth, heavy-ish tailed weight with many distinct values.
std::vector<float> make_weight() {
  std::vector<float> weight(kRows * kCols);
  for (std::size_t i = 0; i < weight.size(); ++i)
    weight[i] =
        0.02f * std::sin(0.37f * static_cast<float>(i)) * (1.0f + static_cast<float>(i % 7));
  return weight;
}

// Ŵ[r, c] = LUT[table(r, c)][index[r, c]] (× scale[r], rounded once to F32), where the LUT grid
// splits each axis into lut_shape[axis] equal blocks.
std::vector<float> reconstruct(const kmlut::PalettizeResult& result, int n_bits) {
  const auto* lut = reinterpret_cast<const float*>(result.lut.data());
  const auto* scale = reinterpret_cast<const float*>(result.scale.data());
  const std::int64_t row_block = kRows / result.lut_shape[0];
  const std::int64_t col_block = kCols / result.lut_shape[1];
  std::vector<float> values(kRows * kCols);
  for (std::int64_t r = 0; r < kRows; ++r) {
    for (std::int64_t c = 0; c < kCols; ++c) {
      const std::int64_t table = r / row_block * result.lut_shape[1] + c / col_block;
      const std::uint8_t index = result.indices[static_cast<std::size_t>(r * kCols + c)];
      const float value = lut[(table << n_bits) + index];
      values[static_cast<std::size_t>(r * kCols + c)] =
          result.scale.empty() ? value : value * scale[r];
    }
  }
  return values;
}

kmlut::ByteView bytes_of(const std::vector<float>& values) {
  return {reinterpret_cast<const std::uint8_t*>(values.data()), values.size() * sizeof(float)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: embed_palettize PALETTIZED EXPECTED_DENSE\n";
    return 2;
  }
  const std::vector<float> weight = make_weight();
  const std::vector<float> bias(kRows, 0.5f);
  kmlut::TensorInfo weight_info;
  weight_info.name = "layers.0.mlp.up_proj.weight";
  weight_info.shape = {kRows, kCols};
  kmlut::TensorInfo bias_info;
  bias_info.name = "layers.0.mlp.up_proj.bias";
  bias_info.shape = {kRows};
  const std::vector<kmlut::TensorInfo> tensors{weight_info, bias_info};

  // Plan job -> request -> backend result -> kmlut v1 parts.
  kmlut::KMeansPalettizerConfig config = kmlut::KMeansPalettizerConfig::w4();
  const kmlut::Plan plan =
      kmlut::resolve_plan(config, kmlut::infer_model_description(tensors), tensors);
  const kmlut::Job& job = plan.jobs[0];
  const kmlut::PalettizeRequest request =
      kmlut::make_palettize_request(job, {kmlut::DType::F32, job.shape, weight.data()});
  const kmlut::BackendChoice choice = kmlut::choose_backend("cpu", 1);
  const kmlut::PalettizeResult result = choice.backend->run(request);
  if (!result.palettized) {
    std::cerr << "not palettized: " << result.skip_reason << "\n";
    return 1;
  }
  const kmlut::PalettizedOutput output = kmlut::palettized_output(request, result);

  kmlut::ShardContents shard;
  shard.tensors = {{bias_info.name, kmlut::DType::F32, bias_info.shape}};
  for (const kmlut::PartBytes& part : output.parts)
    shard.tensors.push_back(part.tensor);
  shard.metadata = kmlut::kmlut_metadata({output.info});
  kmlut::CheckpointWriter writer(argv[1], kmlut::Checkpoint::Layout::SingleFile, {shard});
  writer.write(bias_info.name, bytes_of(bias));
  writer.write(output);
  writer.commit();

  // What `kmlut decode` must give: the same tensors, dense, with {"format": "pt"}.
  const std::vector<float> expected = reconstruct(result, request.spec.n_bits);
  kmlut::SafetensorsWriter dense(argv[2],
                                 {{bias_info.name, kmlut::DType::F32, bias_info.shape},
                                  {weight_info.name, kmlut::DType::F32, weight_info.shape}},
                                 {{"format", "pt"}});
  dense.write(bias_info.name, bytes_of(bias));
  dense.write(weight_info.name, bytes_of(expected));
  dense.commit();
  std::cout << "embedder ok: " << job.tensor << " as " << output.parts.size() << " parts, "
            << result.num_luts << " LUTs\n";
  return 0;
}
