# %% [markdown]
# # IGNITE: sensitivity of the gain to the constraint level epsilon and the dual step eta_lambda
#
# Dao et al. (NeurIPS 2024) study how IGNITE's gain depends on its two main hyperparameters: the constraint level
# `epsilon` on `rho * ||grad_w h||` and the multiplier's ascent rate `eta_lambda` (defaults 0.1 and 1e-3).
# The paper ran this on Ant and TF-Bind-10; we run it on **TF-Bind-10** (Ant needs a MuJoCo oracle we do not
# have; its column fills in when `AntMorphology-Exact-v0` is added to `tasks` on a machine that has it), for COMs
# and GA, one parameter swept at a time (the other at its default).
#
# **Protocol**: 128 candidates per run, oracle-scored, 100th percentile, normalized with the full-dataset bounds;
# gain = (with - without) / without x 100 of the means over the seeds run both ways (paired); lines are that gain
# and bands its paired 95% interval (t-interval of the per-seed differences; n in the legend; 4 seeds at the quick
# profile, fewer than the paper's 16, so the bands are wide).

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import mbo_lib as mbo
import mbo_lib.experiments as ex
import mbo_lib.reporting as rep
import mbo_lib.reporting.ignite as ig
from mbo_lib.objectives.ignite import IgniteConfig
from mbo_lib.tasks import SHORT_NAMES
from mbo_lib.methods import method_names

# %% tags=["parameters"]
profile: str = "quick"  # smoke | quick | paper
seeds: list = [0, 1, 2, 3]  # one run per seed and setting
tasks: list = ["TFBind10-Exact-v0"]  # design-bench ids (the paper: Ant, TF-Bind-10)
methods: list = ["COMs", "GA"]  # baselines IGNITE is added to
epsilons: list = [0.01, 0.05, 0.1, 0.2, 0.5]  # constraint levels (eta_lambda at its default 1e-3)
eta_lambdas: list = [0.0001, 0.001, 0.01]  # dual ascent rates (epsilon at its default 0.1)
compute_missing: bool = True  # False: only load existing records; missing points are left out
device: str = "auto"  # auto | cpu | cuda

# %%
# NBVAL_IGNORE_OUTPUT
dev = rep.setup(profile, device)
seeds = rep.seeds_for(profile, seeds)  # smoke (CI) keeps two seeds
if profile == "smoke":  # CI-sized: one method, two settings per parameter
    methods, epsilons, eta_lambdas = methods[-1:], epsilons[1:3], eta_lambdas[1:]
methods = [m for m in methods if m in method_names()]
runnable, not_run = rep.split_available(tasks)
defaults = IgniteConfig()
regs = [{"name": "ignite"}]  # the default setting: the same runs as the gain table
regs += [{"name": "ignite", "epsilon": e} for e in epsilons if e != defaults.epsilon]
regs += [{"name": "ignite", "eta_lambda": e} for e in eta_lambdas if e != defaults.eta_lambda]
specs = ex.grid(runnable, methods, seeds, profile) + [s for r in regs for s in ex.grid(runnable, methods, seeds, profile, regularizer=r)]
records = ig.load_records(specs, compute_missing, dev)
frame = rep.records_frame(records)
print(f"{len(records)} of {len(specs)} runs present; not run here: {not_run or 'none'}")

# %% [markdown]
# ## Gain (%) by setting: gain of the means, std of the per-seed gains, paired 95% interval, verdict, n

# %% tags=["report"]
# NBVAL_CHECK_OUTPUT
sens_eps = ig.sensitivity_frame(frame, "epsilon")
sens_eta = ig.sensitivity_frame(frame, "eta_lambda")
rounding = {"gain_mean": 2, "gain_std": 2, "gain_low": 2, "gain_high": 2}
display(sens_eps.round(rounding))
sens_eta.round(rounding)

# %% [markdown]
# ## Figure
# Gain of IGNITE over the plain method (100th percentile, TF-Bind-8) vs epsilon (left) and eta_lambda (right);
# line: gain of the means over paired seeds, band: its paired 95% interval, n seeds in the legend.

# %% tags=["report"]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
ig.plot_sensitivity(sens_eps, "epsilon", ax=axes[0], label="epsilon (constraint level)")
ig.plot_sensitivity(sens_eta, "eta_lambda", ax=axes[1], label="eta_lambda (dual step)")
axes[0].set_title(f"gain vs epsilon ({', '.join(SHORT_NAMES.get(t, t) for t in runnable)}, {profile})")
axes[1].set_title(f"gain vs eta_lambda ({profile})")
fig.tight_layout()

# %%
lines = []
for name, sens in (("epsilon", sens_eps), ("eta_lambda", sens_eta)):
    for method, g in sens.groupby("method"):
        best, worst = g.loc[g.gain_mean.idxmax()], g.loc[g.gain_mean.idxmin()]
        lines.append(f"- {method}, {name}: gain from {worst.gain_mean:+.2f}% ({name} = {worst[name]:g}) to "
                     f"{best.gain_mean:+.2f}% ({name} = {best[name]:g}); seeds per point {int(g.n.min())}-{int(g.n.max())}; "
                     f"the largest std over seeds is {g.gain_std.max():.2f} points; verdicts: "
                     + ", ".join(f"{k} {v}" for k, v in g.verdict.value_counts().items()) + ".")
display(Markdown("\n".join(lines) or "No setting has paired runs yet."))
