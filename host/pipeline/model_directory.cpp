#include "kmlut/model_directory.hpp"

#include <algorithm>
#include <system_error>

#include "host/io/staged_directory.hpp"
#include "kmlut/error.hpp"

namespace kmlut {
namespace {

namespace fs = std::filesystem;

// Deeper than any model folder; stops a symbolic link that points to its own ancestor.
constexpr int kMaxDepth = 32;

fs::path absolute_path(const fs::path& path) {
  return fs::weakly_canonical(fs::absolute(path));
}

bool is_within(const fs::path& inner, const fs::path& outer) {
  const auto [outer_end, inner_it] =
      std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return outer_end == outer.end();
}

void check_destination(const fs::path& input_directory, const fs::path& output, bool replace) {
  const fs::path input = absolute_path(input_directory);
  const fs::path target = absolute_path(output);
  if (is_within(target, input) || is_within(input, target)) {
    throw ConfigError(output.string() + ": the output directory must lie outside the input " +
                      input_directory.string() + " and must not hold it");
  }
  std::error_code error;
  if (!replace && fs::exists(fs::symlink_status(output, error)))
    throw ConfigError(output.string() + ": already exists");
}

// Copies every entry of `from` except the checkpoint's own files, following symbolic links.
void copy_other_files(const fs::path& from, const fs::path& to,
                      const std::vector<fs::path>& skipped) {
  fs::recursive_directory_iterator it(from, fs::directory_options::follow_directory_symlink);
  for (const fs::recursive_directory_iterator end; it != end; ++it) {
    const fs::path relative = it->path().lexically_relative(from);
    if (it.depth() == 0 && std::find(skipped.begin(), skipped.end(), relative) != skipped.end())
      continue;
    if (it.depth() >= kMaxDepth)
      throw InputError(it->path().string() + ": folders nested deeper than " +
                       std::to_string(kMaxDepth) + " levels (a symbolic link loop?)");
    if (it->is_directory()) {
      fs::create_directory(to / relative);
    } else if (it->is_regular_file()) {
      fs::copy_file(it->path(), to / relative);
    } else {
      throw InputError(it->path().string() +
                       ": is neither a file nor a folder (a broken link?); cannot copy it");
    }
  }
}

}  // namespace

std::vector<fs::path> checkpoint_files(const Checkpoint& checkpoint) {
  std::vector<fs::path> files;
  for (const SafetensorsFile& shard : checkpoint.shards())
    files.push_back(shard.path().filename());
  if (checkpoint.layout() == Checkpoint::Layout::Sharded)
    files.push_back(checkpoint.source().filename());
  return files;
}

void write_model_directory(const Checkpoint& checkpoint, const fs::path& requested_output,
                           bool replace,
                           const std::function<void(const fs::path& target)>& write_weights) {
  // "out/" names the directory "out": the staging directory goes next to it, not inside.
  const fs::path output =
      requested_output.has_filename() ? requested_output : requested_output.parent_path();
  fs::path input_directory = checkpoint.source().parent_path();
  if (input_directory.empty())
    input_directory = ".";
  check_destination(input_directory, output, replace);
  detail::StagedDirectory staged(output);
  const bool sharded = checkpoint.layout() == Checkpoint::Layout::Sharded;
  write_weights(sharded ? staged.path()
                        : staged.path() / checkpoint.shards().front().path().filename());
  try {
    copy_other_files(input_directory, staged.path(), checkpoint_files(checkpoint));
  } catch (const fs::filesystem_error& error) {
    throw Error(output.string() + ": cannot copy the model's other files: " + error.what());
  }
  staged.commit(replace);
}

}  // namespace kmlut
