#!/usr/bin/env python3
"""Compares `./streamrank tune` runs from their tuning.json files (see docs/benchmarks.md).

Usage: docs/tuning_compare.py REFERENCE_DIR RUN_DIR...

For each run: the first time, in seconds since its search started, at which its best validation
RMSE so far ("progress": one entry per trial result, stamped when the tuner had it) was at or below
the reference run's best validation RMSE, as a fraction of the reference run's search time
("search_seconds": trials only, before the refits); the same for the reference's best + 0.001
and for within 0.5% of the reference's best (best * 1.005);
the same on the whole command's clock, where the runs recorded it ("setup_seconds": the
command's start to the tuner's, i.e. the in-process cluster's start, with the data prepared
meanwhile; "session_start_seconds": then until the tuning session's workers were up, before the
search's clock starts): (setup + workers + reached) / (the reference's setup + workers + search);
the epochs trained by then (a measure of work that the machine's load does not change);
the Flink jobs the trials ran in (distinct job ids of the trials' "task", where recorded: one per
run in a tuning session); and each submission's fixed cost: its time from submission to result
("job_seconds"; in a tuning session a unit of trials handed to a worker task, not a job) minus
its training time ("seconds": the longest of its trials when they ran in parallel tasks, pruner
none; their sum when they ran one after the other in one task, asha and sha batches).
"""
import json
import statistics
import sys


def load(d):
    with open(d + "/tuning.json") as f:
        return json.load(f)


def reached(run, target):
    for p in run["progress"]:
        if p["best_valid_rmse"] <= target:
            return p["seconds"]
    return None


def epochs_until(run, seconds):
    if seconds is None:
        return "-"
    return sum(
        len(t["curve"]) - t["resumed_epochs"]
        for t in run["trials"]
        if t["finished_seconds"] <= seconds)


def before_search(run):
    """The command's start to the search's: the cluster's start, then its workers'."""
    return run["setup_seconds"] + run.get("session_start_seconds", 0.0)


def command_clock(run, ref, t):
    if t is None or "setup_seconds" not in run or "setup_seconds" not in ref:
        return "?"
    total = before_search(ref) + ref["search_seconds"]
    return f"{before_search(run) + t:.1f} s = {(before_search(run) + t) / total:.1%}"


def fixed_costs(run):
    jobs = {}
    for t in run["trials"]:
        jobs.setdefault((round(t["finished_seconds"], 1), t["job_seconds"]), []).append(t["seconds"])
    parallel = run["pruner"] == "none"
    return [job - (max(s) if parallel else sum(s)) for (_, job), s in jobs.items()]


def flink_jobs(run):
    tasks = [t.get("task") for t in run["trials"]]
    if None in tasks:
        return "?"
    return len({t.split("/")[0] for t in tasks})


def at(t, whole):
    return "never" if t is None else f"{t:.1f} s = {t / whole:.1%}"


def main(ref_dir, *others):
    ref = load(ref_dir)
    target = ref["best_valid_rmse"]
    whole = ref["search_seconds"]
    for d in (ref_dir, *others):
        r = load(d)
        costs = fixed_costs(r)
        print(
            f"{d}: {r['algo']}+{r['pruner']}, best {r['best_valid_rmse']:.4f}"
            f" (defaults {r['default_valid_rmse']:.4f}), search {r['search_seconds']:.1f} s"
            f" = {r['search_seconds'] / whole:.1%} of the reference's;"
            f" reached {target:.4f} at {at(reached(r, target), whole)}"
            f" ({epochs_until(r, reached(r, target))} epochs trained by then;"
            f" on the whole command's clock {command_clock(r, ref, reached(r, target))},"
            f" setup {r.get('setup_seconds', float('nan')):.1f} s,"
            f" workers up {r.get('session_start_seconds', float('nan')):.1f} s),"
            f" {target + 0.001:.4f} at {at(reached(r, target + 0.001), whole)},"
            f" within 0.5% ({target * 1.005:.4f}) at {at(reached(r, target * 1.005), whole)};"
            f" {len(r['trials'])} trials in {len(costs)} submissions, {flink_jobs(r)} Flink jobs,"
            f" {r.get('epochs_trained')} epochs trained; first result at"
            f" {r['progress'][0]['seconds']:.1f} s; fixed cost per submission: median"
            f" {statistics.median(costs):.1f} s, first {costs[0]:.1f} s")


if __name__ == "__main__":
    main(*sys.argv[1:])
