"""Runs the three builds of shared_numeric_bits.cpp and compares their digests.

Usage: compare_builds.py BASELINE NATIVE_NO_CONTRACT NATIVE_CONTRACT

BASELINE (the product's flags) and NATIVE_NO_CONTRACT (-march=native -ffp-contract=off) must print
the same line for every concern. NATIVE_CONTRACT (-march=native, contraction allowed) must differ
on the canary a*b+c, which shows that this machine's -march=native has FMA and the comparison can
see a contraction; on a machine without FMA the check cannot show anything and exits 77 (skip).
"""
import subprocess
import sys


def digests(program):
    out = subprocess.run([program], check=True, capture_output=True, text=True).stdout
    return dict(line.split() for line in out.splitlines())


def main():
    baseline, no_contract, contract = (digests(p) for p in sys.argv[1:4])
    canary = "canary_a_times_b_plus_c"
    if contract[canary] == baseline[canary]:
        print("skip: -march=native does not contract a*b+c on this machine (no FMA), so a "
              "contraction could not be seen here")
        return 77
    failures = [name for name in baseline if baseline[name] != no_contract.get(name)]
    for name in baseline:
        state = "differs" if name in failures else "same"
        fused = "differs" if contract[name] != baseline[name] else "same"
        print(f"{name}: -march=native -ffp-contract=off {state}; with contraction {fused}")
    if failures:
        print("FAIL: the shared numeric headers give other bits under -march=native "
              f"-ffp-contract=off: {', '.join(failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
