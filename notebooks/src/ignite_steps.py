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

# %% tags=["parameters"]
profile: str = "quick"  # smoke | quick | paper
seeds: list = [0, 1, 2, 3]  # one run per seed and variant
tasks: list = ["TFBind8-Exact-v0", "TFBind10-Exact-v0"]  # design-bench ids
methods: list = ["COMs", "GA"]  # gradient-ascent optimizers
variants: list = ["ignite2"]  # regularizers compared with plain ("ignite" optional)
compute_missing: bool = True  # False: only load existing records; missing runs are left out (n shows it)
device: str = "auto"  # auto | cpu | cuda

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
