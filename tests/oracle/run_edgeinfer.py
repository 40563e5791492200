#!/usr/bin/python3
"""Runs `edgeinfer conformance` on the oracle cases tests/oracle/make_cases.py wrote (ONNX Runtime's outputs as the
expected ones) and checks tests/oracle/expected_pass.txt: a listed case that does not pass fails the run.

    /usr/bin/python3 tests/oracle/run_edgeinfer.py CASES_DIR EDGEINFER [-v] [--filter REGEX] [--write-expected]

CASES_DIR is make_cases.py's OUT_DIR (CTest: BUILD/oracle_cases); without its suites.txt (ORT or Node.js was
absent, so make_cases.py skipped) this exits 77, CTest's skip code, saying so. --write-expected rewrites
tests/oracle/expected_pass.txt with the cases that pass now (after merging a kernel, run it and review the diff).
Cases in tests/oracle/excluded.txt are not compared (each with its reason).
Tolerances: see TOLERANCES below and docs/operators.md ("Oracle").
"""
import argparse
import os
import subprocess
import sys
import tempfile

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, 'expected_pass.txt')
# Cases not compared, by name, with the reason (ORT behaviour edgeinfer deliberately does not copy).
EXCLUDED = os.path.join(HERE, 'excluded.txt')
# Float outputs: |actual - expected| <= atol + rtol * |expected|. ORT and edgeinfer sum in different orders and use
# different exp/erf/sin approximations, so float32/float64 get a few ulps of relative slack plus an absolute floor
# for values that cancel to ~0 (DFT bins, Gelu of large negative inputs); today's worst passing float32 case is
# 4e-5 relative (DFT17_axis_attr, ORT's float32 twiddles). edgeinfer conformance widens half precision to two ulps:
# float16 rtol >= 2e-3, atol >= 1e-4; bfloat16 rtol >= 1.6e-2, atol >= 1e-3. Integers, bool and strings must be
# equal; NaN must be NaN exactly where ORT has NaN, and an infinity the same infinity.
TOLERANCES = ['--rtol', '1e-4', '--atol', '1e-5']
HEADER = """\
# Oracle cases (tests/oracle/make_cases.py, outputs from ONNX Runtime 1.30) that edgeinfer passes; the
# oracle_conformance CTest test fails when one of them stops passing. Case ids are OPERATOR_SUITE/CASE.
# Regenerate after a kernel lands (then review the diff):
#   ctest --preset release -R oracle_conformance      (writes BUILD/oracle_cases)
#   /usr/bin/python3 tests/oracle/run_edgeinfer.py build/oracle_cases build/edgeinfer --write-expected
"""


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('cases')
    p.add_argument('edgeinfer')
    p.add_argument('-v', '--verbose', action='store_true', help='Print every case')
    p.add_argument('--filter', default='', help='Regex on SUITE/CASE')
    p.add_argument('--write-expected', action='store_true', help=f'Rewrite {EXPECTED} with the cases that pass')
    a = p.parse_args()
    suites_file = os.path.join(a.cases, 'suites.txt')
    if not os.path.exists(suites_file):
        print(f'oracle: SKIPPED: no oracle cases in {a.cases} (make_oracle_cases was skipped: ONNX Runtime or '
              'Node.js absent; scripts/install-deps fetches ORT with bench/setup-ort)')
        return SKIP
    with open(suites_file) as f:
        suites = f.read().strip()
    cmd = [a.edgeinfer, 'conformance', '--data', a.cases, '--suites', suites, '--excluded', EXCLUDED] + TOLERANCES
    if a.verbose:
        cmd.append('-v')
    if a.filter:
        cmd += ['--filter', a.filter]
    if not a.write_expected:
        return subprocess.call(cmd + ['--expected', EXPECTED])
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'expected.txt')
        rc = subprocess.call(cmd + ['--write-expected', out])
        if not os.path.exists(out):
            return rc or 1
        with open(out) as f:
            ids = [line.strip() for line in f if line.strip() and not line.startswith('#')]
    with open(EXPECTED, 'w') as f:
        f.write(HEADER + ''.join(i + '\n' for i in ids))
    print(f'oracle: wrote {len(ids)} passing cases to {EXPECTED}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
