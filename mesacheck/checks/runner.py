"""Run claim modules and collect their reports; the exit code is 0 only when every check passes."""
import importlib
import sys
import time

from mesacheck.checks.verdict import ClaimReport, Settings, run_check
from mesacheck.errors import InputError

#: claim id -> module name under mesacheck.checks
CLAIM_MODULES = {
    "C1": "c1_one_step_gd",
    "C2": "c2_emergence",
    "C3": "c3_capability",
    "C4": "c4_gaussian_fails",
    "C5": "c5_sparse_succeeds",
    "C6": "c6_full_one",
    "C7": "c7_beyond",
}


def normalise_claims(claims):
    """['c2', 'C5'] -> ['C2', 'C5'] (all claims when empty); InputError naming an unknown one."""
    if not claims:
        return list(CLAIM_MODULES)
    out = []
    for c in claims:
        key = str(c).strip().upper()
        if key.isdigit():
            key = "C" + key
        if key not in CLAIM_MODULES:
            raise InputError(f"unknown claim {c!r}; expected one of {', '.join(CLAIM_MODULES)}")
        if key not in out:
            out.append(key)
    return out


def claim_module(claim):
    """The module checking ``claim`` ('C1'..'C7')."""
    return importlib.import_module(f"mesacheck.checks.{CLAIM_MODULES[claim]}")


def run_claim(claim, settings):
    """One claim's report; an error while setting the claim up is recorded as a 'failed' check."""
    try:
        return claim_module(claim).run(settings)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - never a pass
        rep = ClaimReport(claim, "(could not run)", settings=settings.to_json())

        def boom(exc=exc):
            raise exc
        rep.checks.append(run_check(claim, f"{claim}.run", "run the claim's checks", "symbolic", "-", "-",
                                    "-", boom))
        return rep


def run_claims(claims, settings=None, progress=sys.stderr):
    """Run the claims in order, printing one progress line per claim to ``progress`` (None: quiet)."""
    settings = settings or Settings()
    reports = []
    for claim in normalise_claims(claims):
        start = time.perf_counter()
        if progress is not None:
            print(f"[{claim}] running...", file=progress, flush=True)
        rep = run_claim(claim, settings)
        reports.append(rep)
        if progress is not None:
            n_pass = sum(c.status == "pass" for c in rep.checks)
            print(f"[{claim}] {rep.verdict} {n_pass}/{len(rep.checks)} "
                  f"({time.perf_counter() - start:.1f}s)", file=progress, flush=True)
    return reports


def exit_code(reports):
    """0 when every claim passed (every check 'pass') or does not apply (N/A), 1 otherwise."""
    return 0 if reports and all(r.verdict in ("PASS", "N/A") for r in reports) else 1


def proof_main(claim, argv=None):
    """Entry point shared by the scripts in proofs/: run one claim, print its table, and return
    0 only when every check passes (2 for bad input)."""
    import argparse

    from mesacheck.checks.verdict import Settings, format_table
    from mesacheck.errors import MesacheckError

    module = claim_module(claim)
    parser = argparse.ArgumentParser(description=f"{module.CLAIM}: {module.TITLE}")
    parser.add_argument("--dist", help="initial-token distribution spec (overrides the claim's law)")
    parser.add_argument("--d", type=int, help="token dimension")
    parser.add_argument("--T", type=int, help="training sequence length")
    parser.add_argument("--seed", type=int, default=0, help="seed of every Monte Carlo check")
    parser.add_argument("--quick", action="store_true", help="smaller samples and fewer cases")
    args = parser.parse_args(argv)
    try:
        report = module.run(Settings(dist=args.dist, d=args.d, T=args.T, quick=args.quick, seed=args.seed))
    except MesacheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_table([report]))
    if report.verdict == "N/A":
        print(f"{claim} is not applicable to this law: " + "; ".join(s["reason"] for s in report.skipped))
        return 2
    return exit_code([report])
