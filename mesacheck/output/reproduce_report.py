"""Files of ``mesacheck reproduce``: figures, one JSON per configuration, the summary (CSV + JSON + PNG).

Output safety: :func:`check_output_dir` validates the folder before any computation (creating
nothing); :func:`mesacheck.fileio.output_directory` writes everything into a private temporary folder beside the
target and, only at the end, renames it into place (a new folder appears complete, or not at all)
or, if the folder already exists, moves each file in with an atomic rename; on any failure or
interrupt the temporary folder is removed, so nothing partial is left behind.
"""
import csv
import io
import math
import os

from mesacheck import fileio
from mesacheck.fileio import write_text

DEFAULT_OUT = "mesacheck-reproduce"


def check_output_dir(path, option="--out"):
    """Validate the output folder before any computation (see :func:`mesacheck.fileio.check_output_dir`)."""
    return fileio.check_output_dir(path, option)


def _fmt(value, digits=6):
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.{digits}g}"
    return str(value)


def summary_csv(rows, columns):
    """The summary rows as CSV text (empty cells for n/a)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else (repr(row[c]) if isinstance(row[c], float) else row[c])
                         for c in columns])
    return buf.getvalue()


def summary_text(rows, se_note):
    """The summary as a fixed-width table (what ``reproduce`` prints)."""
    head = (f"{'configuration':<16} {'init':<8} {'a*b final':>11} {'exact u*(T)':>11} {'flow(tau)':>11} "
            f"{'SE':>9} {'dev/SE':>7} {'vs flow':>7} {'conv':>4} {'popGD':>6} {'worst':>6} {'ratio':>8} "
            f"{'test loss':>9}")
    lines = [head]
    for r in rows:
        lines.append(
            f"{r['configuration']:<16} {r['init']:<8} {_fmt(r['ab_final'], 7):>11} {_fmt(r['ab_exact_T'], 7):>11} "
            f"{_fmt(r['flow_ab_final'], 7):>11} {_fmt(r['se'], 2):>9} {_fmt(r['dev_exact_se'], 2):>7} "
            f"{_fmt(r['dev_flow_se'], 2):>7} {_fmt(r['converged']):>4} {_fmt(r['dev_popgd_se'], 2):>6} "
            f"{_fmt(r['popgd_worst_se'], 2):>6} "
            f"{_fmt(r['ratio_final'], 4):>8} {_fmt(r['test_loss_final'], 3):>9}")
    lines.append(se_note)
    return "\n".join(lines)


def _figures(p, folder):
    """The figures of one configuration; returns the file names written."""
    from mesacheck.output import plots
    from mesacheck.numeric.simulator import RATIO_DEFINITION

    th, name = p["theory"], p["experiment"]
    title = (f"{name}: {p['dist']}, d={p['d']}, T={p['T']}, m={p['m']}, lr={p['lr']:g}"
             f"{' masked' if p['masked'] else ''}{' (quick)' if p['quick'] else ''}")
    band = "ab_se" if p["replicates"] >= 2 else None
    se_note = (f"band: +-2 across-replicate SE ({p['replicates']} seeds)" if band else
               "one seed per start; SE of the final value in the summary")
    files = []
    exact = p["family"] != "full-one" or p["masked"]
    ab_lines = ([(f"u*(T={p['T']}) exact", th["ab_T"]), ("u* as T -> oo", th["ab_inf"])] if exact else
                [(f"limit of the exact full flow (T={p['T']})", th.get("ab_full_limit"))])
    flow_note = ("dashed: reduced population flow at tau = epoch*lr" if exact else
                 "dashed: the exact full population flow (every entry) at tau = epoch*lr; it leaves "
                 "A = aI, B = bI")
    fn = f"{name}_ab.png"
    plots.plot_runs(os.path.join(folder, fn), p["runs"], "ab", "a*b = mean_j A_jj B_jj", title, ab_lines,
                    flow_key="flow_ab", band_key=band, popgd_key="popgd_ab",
                    note=f"{flow_note}; dash-dot: population GD; {se_note}")
    files.append(fn)
    if p["metric"] == "test_loss":
        fn = f"{name}_test_loss.png"
        plots.plot_runs(os.path.join(folder, fn), p["runs"], "test_loss", "test loss", title,
                        [(f"g(u*) at T={p['T']}", th["loss_at_ab_T"]), ("T -> oo theory", 0.0)], logy=True,
                        band_key="test_loss_se" if band else None,
                        note="test loss = (1/m_test) sum_seq sum_t 1/2 |yhat_t - x_{t+1}|^2 on the test sequences")
    else:
        fn = f"{name}_ratio.png"
        lines = ([(f"u*(T) E|x_j|^2, T={p['T']}", th["ratio_T"]), ("u* E|x_j|^2 as T -> oo", th["ratio_inf"])]
                 if exact else [])
        plots.plot_runs(os.path.join(folder, fn), p["runs"], "ratio", "ratio", title, lines,
                        band_key="ratio_se" if band else None, note=RATIO_DEFINITION)
    files.append(fn)
    if p["family"] == "full-one":
        fn = f"{name}_weights.png"
        pairs = [(f"start {tuple(r['init'])}", r["final_params"][0]["kq"], r["final_params"][0]["pv"])
                 for r in p["runs"]]
        plots.plot_heatmaps(os.path.join(folder, fn), pairs, title + ": final matrices (seed %d)" % p["seeds"][0])
        files.append(fn)
    return files


def write_report(out, result, argv=None, seed=None, tolerances=None):
    """Write every figure, ``<configuration>.json``, ``summary.csv``, ``summary.json`` and
    ``summary_deviations.png`` into folder ``out`` (staged; see module doc). Returns the file names."""
    from mesacheck.numeric.reproduce import SUMMARY_COLUMNS
    from mesacheck.output import plots
    from mesacheck.output.jsonout import dumps

    files = []
    with fileio.output_directory(out) as folder:
        for p in result["experiments"]:
            files += _figures(p, folder)
            fn = f"{p['experiment']}.json"
            write_text(os.path.join(folder, fn), dumps(p, argv=argv, seed=seed, tolerances=tolerances) + "\n")
            files.append(fn)
        rows = result["summary"]
        write_text(os.path.join(folder, "summary.csv"), summary_csv(rows, SUMMARY_COLUMNS))
        write_text(os.path.join(folder, "summary.json"),
                   dumps({"summary": rows, "se_note": result.get("se_note")}, argv=argv, seed=seed,
                         tolerances=tolerances) + "\n")
        labels = [f"{r['configuration']} {r['init']}" for r in rows]
        plots.plot_deviations(os.path.join(folder, "summary_deviations.png"), labels,
                              [r["dev_exact_se"] for r in rows],
                              "final a*b - exact u*(T), in sampling standard errors of the final value",
                              converged=[r["converged"] for r in rows])
        files += ["summary.csv", "summary.json", "summary_deviations.png"]
    return [os.path.join(os.path.abspath(out), f) for f in files]
