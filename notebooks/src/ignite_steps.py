# %% [markdown]
# # IGNITE-2: score along the gradient ascent, with and without the regularizer
#
# Dao et al. (NeurIPS 2024) plot the normalized score of the candidates against the number of gradient-ascent
# steps for gradient-based optimizers with and without IGNITE-2 (a fixed penalty `lambda = 0.01` on
# `rho * ||grad_w h||`, `rho = r = 0.2`): a smoother surrogate should keep improving, or degrade less, as the
# search moves away from the data. We do this for COMs and GA on TF-Bind-8 and TF-Bind-10.
#
# **Protocol**: the runner scores the 128 candidates at each method's `record_steps` (printed below; the sizes of
# each profile are in the method's docstring); 100th percentile, normalized with the full-dataset bounds;
# lines are means and bands the 95% interval of the mean over the n seeds run both plain and with the regularizer
# (n in the legend).

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import mbo_lib as mbo
import mbo_lib.experiments as ex
import mbo_lib.reporting as rep
import mbo_lib.reporting.ignite as ig
from mbo_lib.methods import method_names
from mbo_lib.reporting import campaign as camp

# %% tags=["parameters"]
profile: str = "quick"  # smoke | quick | paper
seeds: list = [0, 1, 2, 3]  # one run per seed and variant
tasks: list = ["TFBind8-Exact-v0", "TFBind10-Exact-v0"]  # design-bench ids
methods: list = ["COMs", "GA"]  # gradient-ascent optimizers
variants: list = ["ignite2"]  # regularizers compared with plain ("ignite" optional)
compute_missing: bool = True  # False: only load existing records; missing runs are left out (n shows it)
device: str = "auto"  # auto | cpu | cuda
paper_seeds: list = [0, 1, 2, 3]  # paper-settings runs: loaded from records/paper, never computed here

# %%
# NBVAL_IGNORE_OUTPUT
dev = rep.setup(profile, device)
seeds = rep.seeds_for(profile, seeds)  # smoke (CI) keeps two seeds
methods = [m for m in methods if m in method_names()]
runnable, not_run = rep.split_available(tasks)
specs = ex.grid(runnable, methods, seeds, profile)
for v in variants:
    specs += ex.grid(runnable, methods, seeds, profile, regularizer={"name": v})
records = ig.load_records(specs, compute_missing, dev)
steps = ig.paired_steps(rep.records_frame(records, kind="curve"))  # only seeds run with every variant
print(f"{len(records)} of {len(specs)} runs present; not run here: {not_run or 'none'}")
print("recorded steps:", {m: sorted(steps[steps.method == m].step.unique().tolist()) for m in methods})

# %% [markdown]
# ## Score at each recorded step: mean ± population std [95% CI] over seeds, n

# %% tags=["report"]
# NBVAL_CHECK_OUTPUT
ig.steps_table(steps)

# %% [markdown]
# ## Gain of the regularizer at each recorded step (paired seeds)
# gain = (with - without) / without x 100 of the means at that step, its paired 95% interval and the verdict
# ("improves" / "worsens" when the interval excludes 0, else "no detectable change").

# %% tags=["report"]
# NBVAL_CHECK_OUTPUT
for v in variants:
    display(ig.steps_gain_table(steps, v).assign(variant=v))

# %% [markdown]
# ## Figure
# Normalized 100th-percentile score of the 128 candidates vs gradient-ascent step, plain vs IGNITE-2; line: mean
# over seeds, band: 95% interval of the mean, n seeds in the legend.

# %% tags=["report"]
panels = [(t, m) for t in runnable for m in methods]
fig, axes = plt.subplots(1, max(len(panels), 1), figsize=(4.2 * max(len(panels), 1), 3.4), squeeze=False)
for ax, (task, method) in zip(axes[0], panels):
    ig.plot_steps(steps, method, ax=ax, task=task)
    ax.set_title(f"{method}, {mbo.tasks.SHORT_NAMES.get(task, task)}, {profile}")
fig.tight_layout()

# %%
display(Markdown(ig.steps_sentences(steps)))

# %% [markdown]
# ## Paper settings next to quick (issue 12)
# The curves above use the `quick` profile (CPU-sized networks and epochs, PyTorch's default init). The
# paper-settings campaign (`tools/campaign.py`) runs COMs and GA with IGNITE-2 on TF-Bind-10 at the `paper` profile
# with IGNITE's run scripts' settings (settings `ignite`: design-baselines' sizes and epochs, COMs with 2
# forward-model epochs, Keras' `Dense` init as in the official TensorFlow code, `benchmarks/results/parity_init.md`).
# Its records land in `records/paper/` over days and are only loaded here (never computed: hours each); the
# curves pair only paper runs with paper runs. What changes from quick, generated from the methods' profiles:

# %%
show_paper = profile == "quick"  # smoke (CI) has no paper records: skipped
if show_paper:
    display(Markdown(camp.describe_settings(methods, ["ignite"])))
    paper_records = camp.load_paper(camp.paper_specs(methods, runnable, paper_seeds, "ignite", [""] + variants))
    paper_steps = ig.paired_steps(rep.records_frame(paper_records, kind="curve"))
    if len(paper_steps):  # only cells with plain AND regularized curves
        paper_steps = paper_steps[paper_steps.groupby(["task", "method"]).regularizer.transform("nunique") > 1]
    display(camp.presence_table(paper_records, methods, runnable, "ignite", [""] + variants))
else:
    print(f"profile {profile}: the paper-settings sections are shown next to the quick profile only (skipped)")

# %% tags=["report"]
if show_paper and len(paper_steps):
    display(ig.steps_table(paper_steps))
    for v in variants:
        display(ig.steps_gain_table(paper_steps, v).assign(variant=v))
    paper_panels = [(t, m) for t in runnable for m in methods if len(paper_steps[(paper_steps.task == t) & (paper_steps.method == m)])]
    fig, axes = plt.subplots(1, len(paper_panels), figsize=(4.2 * len(paper_panels), 3.4), squeeze=False)
    for ax, (task, method) in zip(axes[0], paper_panels):
        ig.plot_steps(paper_steps, method, ax=ax, task=task)
        ax.set_title(f"{method}, {mbo.tasks.SHORT_NAMES.get(task, task)}, paper (ignite settings)")
    fig.tight_layout()
    display(Markdown(ig.steps_sentences(paper_steps)))
elif show_paper:
    display(Markdown("No paper-settings run has its plain and regularized curves yet, so there is no paper-settings "
                     "figure; the table above says, per cell, how many runs exist and why the others do not."))
