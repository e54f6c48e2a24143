# %% [markdown]
# # IGNITE: sharpness of the surrogate on unseen designs, with and without the regularizer
#
# Dao et al. (NeurIPS 2024) show that constraining the surrogate's weight-gradient norm on the *training* data
# also lowers it on designs the surrogate never saw: the optimizer's final candidates (reported: reduced by up
# to 90%). Sharpness here is IGNITE's measure `rho * ||grad_w h(w)||` with `h` the surrogate's mean prediction
# over the 128 final candidates (in the surrogate's input space; for an ensemble `h` averages the members) and
# `rho = 0.05`; the runner stores `||grad_w h||` in every record as `surrogate_grad_norm_on_candidates`.
#
# **Protocol**: REINFORCE and GA (the paper's examples), 128 candidates per run; mean ± population std over the
# seeds present with and without IGNITE (n per cell); reduction = (1 - with / without) x 100 of the means, with
# its paired 95% interval and a verdict (lower / higher with IGNITE when the interval excludes 0).

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

import mbo_lib as mbo
import mbo_lib.experiments as ex
import mbo_lib.reporting as rep
import mbo_lib.reporting.ignite as ig
from mbo_lib.methods import method_names
from mbo_lib.reporting import campaign as camp

# %% tags=["parameters"]
profile: str = "quick"  # smoke | quick | paper
seeds: list = [0, 1, 2, 3]  # one run per seed, with and without IGNITE
tasks: list = ["TFBind8-Exact-v0", "TFBind10-Exact-v0"]  # design-bench ids
methods: list = ["REINFORCE", "GA"]  # methods whose MethodOutput exposes candidate_inputs
compute_missing: bool = True  # False: only load existing records; missing cells show "—"
device: str = "auto"  # auto | cpu | cuda
paper_seeds: list = [0, 1, 2, 3, 4, 5, 6, 7]  # paper-settings runs: loaded from records/paper, never computed here
diagnostic_seeds: list = list(range(16))  # GA diagnostic (TF-Bind-10) seeds, loaded, never computed here

# %%
# NBVAL_IGNORE_OUTPUT
dev = rep.setup(profile, device)
seeds = rep.seeds_for(profile, seeds)  # smoke (CI) keeps two seeds
if profile == "smoke":  # CI-sized: one task, GA only (REINFORCE's IGNITE ensemble is slow to train at any size)
    tasks, methods = tasks[:1], methods[-1:]
methods = [m for m in methods if m in method_names()]
runnable, not_run = rep.split_available(tasks)
specs = ex.grid(runnable, methods, seeds, profile) + ex.grid(runnable, methods, seeds, profile, regularizer={"name": "ignite"})
records, reruns = ig.records_with_grad_norm(specs, compute_missing, dev)
frame = rep.records_frame(records)
print(f"{len(records)} of {len(specs)} runs present; not run here: {not_run or 'none'}")

# %% [markdown]
# A record written before the runner stored the gradient norm is re-run with the same spec and replaced (with
# `compute_missing=False` it is left out). Same spec, same code path: the scores must equal the stored ones:

# %%
# NBVAL_IGNORE_OUTPUT
if len(reruns):
    print(f"{len(reruns)} re-runs; max |stored - rerun| norm_p100 = "
          f"{np.abs(reruns['stored norm_p100'] - reruns['rerun norm_p100']).max():.2e}")
else:
    print("no re-runs needed")

# %% [markdown]
# ## Sharpness on the final candidates (rho = 0.05)

# %% tags=["report"]
# NBVAL_CHECK_OUTPUT
sharp = ig.sharpness_table(frame, methods, runnable)
sharp[["method", "task", "without", "with", "reduction %", "reduction 95% CI", "verdict", "n"]].round(1)

# %%
have = sharp.dropna(subset=["reduction %"])
if len(have):
    best = have.loc[have["reduction %"].idxmax()]
    display(Markdown(
        f"Largest reduction here: {best['reduction %']:.1f}% ({best['method']} on {best['task']}, n={best['n']}); "
        f"range over cells {have['reduction %'].min():.1f}% to {have['reduction %'].max():.1f}%. "
        f"Paper: up to {ig.ignite_headline()['sharpness_reduction_up_to_percent']}%."))

# %% [markdown]
# ## Figure
# Per-seed sharpness without (x) vs with IGNITE (y), log scales; points below the diagonal: IGNITE lowered it.

# %% tags=["report"]
def paired_sharpness(frame):
    """Per (method, task, seed): sharpness without ("") and with ("ignite"), seeds that have both."""
    if frame.empty or not {"", "ignite"} <= set(frame.regularizer):
        return frame.iloc[0:0]
    return frame.pivot_table(index=["method", "task", "seed"], columns="regularizer", values="sharpness").dropna()


def sharpness_scatter(frame, title, ax=None):
    """Per-seed sharpness without (x) vs with IGNITE (y), log scales, one colour per (method, task)."""
    ax = ax or plt.subplots(figsize=(4.5, 4))[1]
    paired = paired_sharpness(frame)
    for (method, task), g in paired.groupby(level=["method", "task"]):
        ax.scatter(g[""], g["ignite"], label=f"{method} / {mbo.tasks.SHORT_NAMES.get(task, task)} (n={len(g)})", s=20)
    if len(paired):
        lo, hi = paired.min().min() / 2, paired.max().max() * 2
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("sharpness without IGNITE")
    ax.set_ylabel("sharpness with IGNITE")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6)
    return len(paired)


fig, ax = plt.subplots(figsize=(4.5, 4))
sharpness_scatter(frame, f"rho*||grad_w h|| on the 128 final candidates ({profile})", ax)
fig.tight_layout()

# %% [markdown]
# ## Paper settings next to quick (issue 12)
# The rows above use the `quick` profile: CPU-sized networks and epochs, PyTorch's default init. The paper-settings
# campaign (`tools/campaign.py`) runs REINFORCE and GA at the `paper` profile with IGNITE's run scripts' settings
# (settings `ignite`: design-baselines' sizes and epochs, Keras' `Dense` init as in the official TensorFlow code,
# `benchmarks/results/parity_init.md`), and GA's diagnostic (settings `diagnostic`: quick width and init, the paper's
# 100 epochs; TF-Bind-10 only). Records land in `records/paper/` over days; they are only loaded here (never
# computed: hours each). Each label pairs only its own runs (`settings` column), n per cell; an empty cell says why.
# What changes from quick, generated from the methods' profiles:

# %%
show_paper = profile == "quick"  # smoke (CI) has no paper records: skipped
if show_paper:
    display(Markdown(camp.describe_settings(methods, ["ignite"]) + "\n" +
                     camp.describe_settings([m for m in methods if m == "GA"], ["diagnostic"])))
    paper_records = camp.load_paper(camp.paper_specs(methods, runnable, paper_seeds, "ignite", ["", "ignite"]))
    diag_records = (camp.load_paper(camp.paper_specs(["GA"], ["TFBind10-Exact-v0"], diagnostic_seeds, "diagnostic",
                                                     ["", "ignite"]))
                    if "GA" in methods and "TFBind10-Exact-v0" in runnable else [])
    paper_frames = {"ignite": camp.settings_frame(paper_records), "diagnostic": camp.settings_frame(diag_records)}
else:
    print(f"profile {profile}: the paper-settings sections are shown next to the quick profile only (skipped)")

# %% [markdown]
# Sharpness on the final candidates (rho = 0.05) per settings label; the diagnostic row is GA on TF-Bind-10 only:

# %% tags=["report"]
if show_paper:
    sharp_settings = ig.settings_sharpness_table({profile: frame, "ignite": paper_frames["ignite"]}, methods, runnable)
    if "GA" in methods and "TFBind10-Exact-v0" in runnable:  # the diagnostic is GA on TF-Bind-10 only
        diag = ig.settings_sharpness_table({"diagnostic": paper_frames["diagnostic"]}, ["GA"], ["TFBind10-Exact-v0"])
        sharp_settings = pd.concat([sharp_settings, diag], ignore_index=True)
    display(sharp_settings)
    ends = ig.training_end_by_settings({profile: records, "ignite": paper_records, "diagnostic": diag_records})
    display(Markdown("Where IGNITE's BDMM ended (last epoch; minibatch sharpness against epsilon), per settings:"))
    display(ends.round(4))
    have = sharp_settings[sharp_settings.n > 0]
    display(Markdown("\n".join(
        f"- {r['method']} / {r['task']}, {r['settings']}: reduction {r['reduction %']:.1f}% "
        + (f"(95% CI {r['reduction 95% CI']}, {r['verdict']}, n={r['n']} paired seeds)." if r["n"] > 1
           else "(1 paired seed: no interval).") for _, r in have.iterrows())
        or "No settings label other than the rows above has paired runs yet."))

# %% [markdown]
# Per-seed sharpness at the paper settings (same axes as above), where paired runs exist:

# %% tags=["report"]
if show_paper:
    for label, pf in paper_frames.items():
        if len(paired_sharpness(pf)):
            fig, ax = plt.subplots(figsize=(4.5, 4))
            sharpness_scatter(pf, f"rho*||grad_w h|| on the final candidates (paper, {label} settings)", ax)
            fig.tight_layout()
        else:
            display(Markdown(f"- {label} settings: no paired runs yet, no figure ({camp.NOT_YET_RUN})."))
