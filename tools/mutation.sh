#!/usr/bin/env bash
# Mutation testing of mesacheck/symbolic/ and mesacheck/checks/ with mutmut 3 (outside CI).
#
#   pip install -e '.[test,mutation]'
#   tools/mutation.sh                          # every mutant of symbolic/ and checks/
#   tools/mutation.sh 'mesacheck.symbolic.reductions.*' 'mesacheck.checks.compare.*'
#
# Arguments are mutmut mutant-name globs (module.x_function__mutmut_N); named mutants are
# re-run even if a result is cached in mutants/. The configuration (which files are mutated,
# the fast test selection, the per-mutant timeout) is [tool.mutmut] in pyproject.toml.
# One worker, nice 10: the machine is shared. Results: mutants/ (mutmut's cache, kept between
# runs), the run log mutants/run.log, and the summary mutants/summary.md written by
# tools/mutation_summary.py (kill rate per module and the list of survivors).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
"$PY" -c "import mutmut" 2>/dev/null || { echo "mutation.sh: mutmut is not installed (pip install -e '.[mutation]')" >&2; exit 2; }
MUTMUT="$(dirname "$(command -v "$PY")")/mutmut"
[ -x "$MUTMUT" ] || MUTMUT=mutmut
mkdir -p mutants
start=$(date +%s)
# mutmut returns non-zero when mutants survive; the summary is what matters.
nice -n 10 "$MUTMUT" run --max-children 1 "$@" >> mutants/run.log 2>&1 || true
tr '\r' '\n' < mutants/run.log | grep -v '^ *$' | tail -n 5
end=$(date +%s)
echo "mutation.sh: mutmut run took $((end - start)) s (args: ${*:-all})" | tee -a mutants/run.log
"$PY" tools/mutation_summary.py --out mutants/summary.md
