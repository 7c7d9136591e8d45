#!/usr/bin/env python3
"""`mpirun -np N kmlut palettize` (docs/scaling.md) against the single process:

- every output file of a sharded and of a single-file checkpoint is byte-identical to the
  single-process output for N = 1, 2, 3, and the output holds nothing else; so are vectors,
  per-channel scales and quantized LUTs from 3 ranks;
- the report's rows equal the single-process report's, its "ranks" entry accounts for every
  tensor and byte, and each rank clustered the tensors that the assignment rule (cost-ordered,
  ties by name, each to the least-loaded rank; recomputed here from `kmlut plan --json`) gives it;
- a bad input that only one rank reads (a missing sensitivity tensor) fails the whole job with
  that rank's message and exit code, and leaves an existing output untouched;
- a rank killed with SIGKILL, and SIGTERM to mpirun, end every rank and leave no file behind.

Needs Open MPI's mpirun (scripts/bootstrap.sh installs it); without it the test skips, or fails
where the run must be complete (KMLUT_REQUIRE_ORACLES=1, tests/cli/cannot_run.py).

Usage: test_mpi_palettize.py KMLUT_BINARY MPIEXEC WORK_DIR
"""
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cannot_run import cannot_run  # noqa: E402
from checks import FAILURES, check  # noqa: E402
from safetensors_numpy import read_safetensors  # noqa: E402

MAKE_CHECKPOINT = os.path.join(HERE, "..", "data", "make_checkpoint.py")
RANKS = 3


def mpi_environment():
    env = dict(os.environ)
    # The CI container runs as root, which Open MPI refuses unless told.
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    # Under ASan (scripts/test.sh), LeakSanitizer reports Open MPI's own allocations in every rank:
    # they are made by plugins that MPI_Finalize unloads, so no suppression can name them. Memory
    # errors are still caught; the single-process tests check kmlut's leaks.
    options = [env["ASAN_OPTIONS"]] if env.get("ASAN_OPTIONS") else []
    env["ASAN_OPTIONS"] = ":".join(options + ["detect_leaks=0"])
    return env


def mpirun_command(ranks):
    # --oversubscribe: more ranks than this machine's cores. The single-copy mechanism of shared
    # memory (CMA) needs ptrace rights that sandboxes often withhold; copying through the shared
    # segment needs none.
    return [MPIEXEC, "--oversubscribe", "-np", str(ranks),
            "--mca", "btl_vader_single_copy_mechanism", "none", KMLUT]


def run_single(*args):
    result = subprocess.run([KMLUT, *args], capture_output=True, text=True, timeout=300)
    return result.returncode, result.stderr


def run_mpi(ranks, *args):
    result = subprocess.run(mpirun_command(ranks) + list(args), capture_output=True, text=True,
                            timeout=300, env=mpi_environment())
    return result.returncode, result.stderr


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def listing(folder):
    """name -> sha256 of every entry (hidden ones included)."""
    return {name: digest(os.path.join(folder, name)) for name in sorted(os.listdir(folder))}


def same_output(expected, got, label):
    if os.path.isdir(expected):
        want, have = listing(expected), (listing(got) if os.path.isdir(got) else {})
        check(sorted(have) == sorted(want), f"{label}: files {sorted(have)} != {sorted(want)}")
        for name, value in want.items():
            check(have.get(name) == value, f"{label}: {name} differs from the single process's")
    else:
        check(os.path.isfile(got) and digest(got) == digest(expected),
              f"{label}: {got} differs from the single process's")


def plan_jobs(source, *config):
    result = subprocess.run([KMLUT, "plan", source, *config, "--json"], capture_output=True,
                            text=True, timeout=300)
    check(result.returncode == 0, f"plan exits 0 ({result.stderr})")
    plan = json.loads(result.stdout)
    return plan["jobs"] if isinstance(plan, dict) else plan


def assigned_ranks(jobs, ranks):
    """The assignment rule of docs/scaling.md for fast-mode scalar jobs (cost = numel): longest
    first, ties by name, each to the least-loaded rank (the lowest of equals)."""
    selected = [(int(np.prod(job["shape"], dtype=np.int64)), job["tensor"])
                for job in jobs if job.get("spec")]
    load = [0] * ranks
    owner = {}
    for cost, name in sorted(selected, key=lambda item: (-item[0], item[1])):
        rank = load.index(min(load))
        load[rank] += cost
        owner[name] = rank
    return owner


def test_identical_output(work, source, label, output_name):
    reference = os.path.join(work, f"{label}-single-{output_name}")
    report_single = os.path.join(work, f"{label}-single.json")
    code, err = run_single("palettize", source, reference, "--preset", "w4", "--report",
                           report_single)
    check(code == 0, f"{label}: single process exits 0 ({code}: {err})")
    for ranks in (1, 2, RANKS):
        output = os.path.join(work, f"{label}-np{ranks}-{output_name}")
        report = os.path.join(work, f"{label}-np{ranks}.json")
        code, err = run_mpi(ranks, "palettize", source, output, "--preset", "w4", "--report",
                            report)
        check(code == 0, f"{label}: mpirun -np {ranks} exits 0 ({code}: {err})")
        same_output(reference, output, f"{label} -np {ranks}")
        check(err.count("tensors selected") == 1,
              f"{label} -np {ranks}: one rank (0) speaks, not every rank: {err}")
        check(f"[rank 0] kmlut: backend" in err, f"{label} -np {ranks}: lines carry the rank")
        if os.path.exists(report):
            check_report(report_single, report, ranks, source, f"{label} -np {ranks}")


def test_other_paths(work, source):
    """Vectors (their cost is 80 times a scalar element's, so the split differs), per-channel scales
    and quantized LUTs, seeded: the same bytes from 3 ranks."""
    config = os.path.join(work, "vector.json")
    with open(config, "w") as f:
        json.dump({"kmeans_palettization_config": {"global_config": {
            "enable_fast_kmeans_mode": False,
            "op_state_spec": {"weight": {"n_bits": 4, "cluster_dim": 2,
                                         "enable_per_channel_scale": True,
                                         "lut_qspec": {"dtype": "int8",
                                                       "qscheme": "symmetric"}}}}}}, f)
    reference = os.path.join(work, "vector-single")
    code, err = run_single("palettize", source, reference, "--config", config, "--seed", "5")
    check(code == 0, f"vector: single process exits 0 ({code}: {err})")
    output = os.path.join(work, "vector-np3")
    code, err = run_mpi(RANKS, "palettize", source, output, "--config", config, "--seed", "5")
    check(code == 0, f"vector: mpirun -np {RANKS} exits 0 ({code}: {err})")
    same_output(reference, output, f"vector -np {RANKS}")


def check_report(single_path, path, ranks, source, label):
    single, shared = json.load(open(single_path)), json.load(open(path))
    drop = ("seconds",)
    rows = [{k: v for k, v in row.items() if k not in drop} for row in shared["tensors"]]
    want = [{k: v for k, v in row.items() if k not in drop} for row in single["tensors"]]
    check(rows == want, f"{label}: the report's rows differ from the single process's")
    check(shared["summary"] == single["summary"], f"{label}: the summaries differ")
    entries = shared.get("ranks", [])
    check([entry["rank"] for entry in entries] == list(range(ranks)),
          f"{label}: the report has one entry per rank ({entries})")
    if len(entries) != ranks:
        return
    palettized = [row["name"] for row in single["tensors"] if row["status"] == "palettized"]
    check(sum(e["tensors_clustered"] for e in entries) == len(palettized),
          f"{label}: the ranks clustered every palettized tensor once")
    check(sum(e["bytes_sent"] for e in entries) == sum(e["bytes_received"] for e in entries),
          f"{label}: every byte sent was received")
    check(sum(e["bytes_written"] for e in entries) == single["summary"]["bytes_out"],
          f"{label}: the ranks wrote the output's bytes")
    owner = assigned_ranks(plan_jobs(source, "--preset", "w4"), ranks)
    for entry in entries:
        expected = sorted(name for name in palettized if owner.get(name) == entry["rank"])
        check(sorted(entry["clustered"]) == expected and
              entry["tensors_clustered"] == len(expected),
              f"{label}: rank {entry['rank']} clustered {sorted(entry['clustered'])}, "
              f"the assignment rule gives it {expected}")


def write_float32(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        blob = array.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def test_bad_input_on_one_rank(work, source):
    """Sensitivities for every selected tensor but one that rank 2 reads: only rank 2 fails."""
    owner = assigned_ranks(plan_jobs(source, "--preset", "w4"), RANKS)
    victim = sorted(name for name, rank in owner.items() if rank == RANKS - 1)[0]
    index = json.load(open(source))
    original = {}
    for shard in sorted(set(index["weight_map"].values())):
        original.update(read_safetensors(os.path.join(os.path.dirname(source), shard))[0])
    rng = np.random.default_rng(1)
    importances = {name: rng.random(original[name][1]).astype(np.float32)
                   for name in owner if name != victim}
    sensitivities = os.path.join(work, "sensitivities-missing-one.safetensors")
    write_float32(sensitivities, importances)
    existing = os.path.join(work, "bad-existing")
    shutil.copytree(os.path.join(work, "sharded-single-out"), existing)
    before = listing(existing)
    code, err = run_mpi(RANKS, "palettize", source, existing, "--preset", "w4", "--force",
                        "--sensitivities", sensitivities)
    check(code == 3, f"a bad input on rank {RANKS - 1} is exit 3 for the job ({code}: {err})")
    check(f'rank {RANKS - 1}: ' in err and f'no sensitivity tensor "{victim}"' in err,
          f"the job reports rank {RANKS - 1}'s message ({err})")
    check(listing(existing) == before, "a failed job leaves the existing output as it was")
    fresh = os.path.join(work, "bad-fresh")
    code, err = run_mpi(RANKS, "palettize", source, fresh, "--preset", "w4",
                        "--sensitivities", sensitivities)
    check(code == 3 and not os.path.exists(fresh),
          f"a failed job writes no output ({code}, exists: {os.path.exists(fresh)})")


def rank_processes(marker):
    """pid -> rank of the processes whose command line holds `marker`."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().split(b"\0")
            if os.path.realpath(command[0].decode()) != os.path.realpath(KMLUT):
                continue
            if marker.encode() not in command:
                continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
            found[int(pid)] = int(env.get(b"OMPI_COMM_WORLD_RANK", b"-1"))
        except (OSError, ValueError):
            continue
    return found


def slow_checkpoint(work):
    """Vector palettization of 1 M values, 256 entries: seconds of clustering per rank."""
    source = os.path.join(work, "slow.safetensors")
    rng = np.random.default_rng(2)
    write_float32(source, {f"layers.{i}.weight": rng.standard_normal((512, 512)) * 0.02
                           for i in range(6)})
    config = os.path.join(work, "slow.json")
    with open(config, "w") as f:
        json.dump({"kmeans_palettization_config": {"global_config": {
            "enable_fast_kmeans_mode": False,
            "op_state_spec": {"weight": {"n_bits": 8, "cluster_dim": 2}}}}}, f)
    return source, config


def test_interrupted(work, how):
    source, config = slow_checkpoint(work)
    output = os.path.join(work, f"interrupted-{how}")
    existing = os.path.join(work, f"interrupted-{how}-existing.safetensors")
    with open(existing, "wb") as f:
        f.write(b"the previous output")
    for target in (output + ".safetensors", existing):
        job = subprocess.Popen(mpirun_command(RANKS) + ["palettize", source, target, "--config",
                                                         config, "--force"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=mpi_environment())
        deadline = time.time() + 60
        ranks = {}
        while time.time() < deadline and len(ranks) < RANKS and job.poll() is None:
            ranks = rank_processes(target)
            time.sleep(0.05)
        time.sleep(1.0)  # into the clustering
        finished_early = job.poll() is not None
        check(not finished_early, f"{how}: the job was still running when interrupted")
        if how == "kill-rank":
            victim = [pid for pid, rank in ranks.items() if rank == 1]
            check(victim, f"{how}: rank 1 found among {ranks}")
            for pid in victim:
                os.kill(pid, signal.SIGKILL)
        else:
            job.send_signal(signal.SIGTERM)
        try:
            _, err = job.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            job.kill()
            _, err = job.communicate()
            check(False, f"{how}: mpirun did not end within 60 s")
        check(job.returncode != 0, f"{how}: the job exits non-zero ({job.returncode})")
        time.sleep(0.5)
        check(not rank_processes(target), f"{how}: every rank has ended")
        if target == existing:
            check(open(existing, "rb").read() == b"the previous output",
                  f"{how}: the existing output is untouched")
        else:
            check(not os.path.exists(target), f"{how}: no output appears")
        leftovers = [name for name in os.listdir(work) if name.startswith(".")]
        check(not leftovers, f"{how}: nothing is left behind: {leftovers}")


def main():
    global KMLUT, MPIEXEC
    KMLUT, MPIEXEC, work = sys.argv[1], sys.argv[2], sys.argv[3]
    if not MPIEXEC or shutil.which(MPIEXEC) is None:
        cannot_run(f"no MPI launcher ({MPIEXEC or 'none found'}; install openmpi-bin)")
    version = subprocess.run([MPIEXEC, "--version"], capture_output=True, text=True).stdout
    if "Open MPI" not in version and "OpenRTE" not in version:
        cannot_run(f"{MPIEXEC} is not Open MPI's mpirun ({version.strip()})")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    sharded = os.path.join(work, "sharded")
    subprocess.run([sys.executable, MAKE_CHECKPOINT, sharded, "--shards", "3"], check=True)
    single = os.path.join(work, "single.safetensors")
    subprocess.run([sys.executable, MAKE_CHECKPOINT, single], check=True)
    index = os.path.join(sharded, "model.safetensors.index.json")

    test_identical_output(work, index, "sharded", "out")
    test_identical_output(work, single, "single", "out.safetensors")
    test_other_paths(work, index)
    test_bad_input_on_one_rank(work, index)
    test_interrupted(work, "kill-rank")
    test_interrupted(work, "sigterm-mpirun")
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        sys.exit(1)
    print("mpirun palettize: byte-identical outputs, agreed failures, clean interruptions")


if __name__ == "__main__":
    main()
