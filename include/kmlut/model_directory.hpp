// A model directory in, a model directory out (docs/model-directories.md): a Hugging Face or
// sentence-transformers folder whose weight files are transformed (palettized or decoded) while
// every other file and folder is copied unchanged, and which appears at its destination as a whole
// or not at all.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "kmlut/checkpoint.hpp"

namespace kmlut {

// The checkpoint's own files, relative to its directory: the shards and, when sharded, the index.
std::vector<std::filesystem::path> checkpoint_files(const Checkpoint& checkpoint);

// Writes the directory `output` from the model directory holding `checkpoint`:
//  1. a staging directory ".kmlut-staging-<pid>-<random>-<output name>" is made next to `output`
//     (a watcher process removes it if the run is killed; where none could start, the next run
//     writing the same output removes those whose process is gone);
//  2. `write_weights(target)` writes the transformed checkpoint there — `target` is the weight
//     file's path for a single-file checkpoint and the directory itself for a sharded one, so
//     file names and sharding stay those of the input;
//  3. every other entry of the input directory is copied byte for byte (symbolic links are
//     followed, so a Hugging Face cache snapshot gives a self-contained directory);
//  4. everything is flushed to disk and the staging directory is renamed to `output` — with
//     `replace`, atomically exchanged with the existing `output`, which is then removed.
// On any failure the staging directory is removed and `output` is untouched. Throws ConfigError
// when `output` lies inside the input directory (or holds it) or exists without `replace`,
// InputError for an entry that is neither a file nor a directory, Error on IO failures, and
// whatever `write_weights` throws.
void write_model_directory(
    const Checkpoint& checkpoint, const std::filesystem::path& output, bool replace,
    const std::function<void(const std::filesystem::path& target)>& write_weights);

}  // namespace kmlut
